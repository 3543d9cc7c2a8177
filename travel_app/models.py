"""Import every model module so the metadata (and Alembic) sees all tables."""

from travel_app.advice.models import AdviceFeed, AdviceRun, PendingLowering
from travel_app.api.models import IdempotentRequest
from travel_app.auth.models import RecoveryCode
from travel_app.core.audit import AuditEvent
from travel_app.core.heartbeat import Heartbeat
from travel_app.countries.models import CountryNote, EmbassyContact
from travel_app.dossier.models import DossierItem
from travel_app.duty.models import (
    CheckinEntry,
    CrisisAnswerEntry,
    CrisisMessage,
    CrisisRecipient,
    Incident,
    IncidentEntry,
)
from travel_app.org.models import Deputy, Person, RoleAssignment, Unit
from travel_app.outbox.models import OutboxMessage
from travel_app.places.models import (
    Advisory,
    AdvisorySource,
    CountryList,
    CountryListEntry,
    RiskLevel,
    SourceLevel,
)
from travel_app.procedures.models import ProcedureUpload
from travel_app.scim.models import ScimGroup, ScimGroupMember, ScimUser
from travel_app.sso.models import ExternalIdentity, UsedAssertion
from travel_app.tokens.models import ServiceToken
from travel_app.trips.models import Leg, ProcedureText, Trip, TripEvent, TripTask
from travel_app.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

__all__ = [
    "AdviceFeed",
    "AdviceRun",
    "Advisory",
    "AdvisorySource",
    "AuditEvent",
    "CheckinEntry",
    "CountryList",
    "CountryListEntry",
    "CountryNote",
    "CrisisAnswerEntry",
    "CrisisMessage",
    "CrisisRecipient",
    "Deputy",
    "DossierItem",
    "EmbassyContact",
    "ExternalIdentity",
    "Heartbeat",
    "IdempotentRequest",
    "Incident",
    "IncidentEntry",
    "Leg",
    "OutboxMessage",
    "PendingLowering",
    "Person",
    "ProcedureText",
    "ProcedureUpload",
    "RecoveryCode",
    "RiskLevel",
    "RoleAssignment",
    "ScimGroup",
    "ScimGroupMember",
    "ScimUser",
    "ServiceToken",
    "SourceLevel",
    "Trip",
    "TripEvent",
    "TripTask",
    "Unit",
    "UsedAssertion",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
]
