"""A SAML answer from another IdP than the configured one signs nobody in.

Two real IdPs run (tests/sso/saml_idp.py), each with its own entity id and key. The service sends
its request to the first; the second answers it, signed with its own key, as any IdP of the
federation could. The service is configured as a university configures it: either with the
federation's aggregate, where the other IdP is known and its signature checks out, and only
``idp_entity_id`` says whose answers count; or with its own IdP's metadata only.
"""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from tests.sso.conftest import (
    SamlIdP,
    register_saml_sp,
    saml_idp_answer,
    saml_provider_settings,
)
from tests.sso.test_saml import _assert_refused, _audits, _logged_in, _people
from travel_app.sso.identity import RefusalReason

pytestmark = pytest.mark.skipif(
    shutil.which("xmlsec1") is None,
    reason="needs xmlsec1 for SAML signatures (apt-get install xmlsec1)",
)


def _federation_metadata(folder: Path, *idps: SamlIdP) -> Path:
    """The IdPs' metadata in one EntitiesDescriptor, as a federation publishes its aggregate."""
    descriptors = [
        re.sub(r"^<\?xml[^>]*\?>\s*", "", requests.get(idp.metadata_url, timeout=10).text)
        for idp in idps
    ]
    aggregate = folder / "federation-metadata.xml"
    aggregate.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"'
        ' Name="https://federation.example/test">\n' + "\n".join(descriptors) + "\n"
        "</md:EntitiesDescriptor>\n"
    )
    return aggregate


def _issuer_of(fields: dict[str, str]) -> str:
    """The Issuer the posted answer names."""
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    found = re.search(r"<(?:\w+:)?Issuer[^>]*>([^<]+)</", xml)
    assert found is not None, xml
    return found.group(1).strip()


@pytest.fixture
def other_idp(app: Flask, saml: SamlIdP, second_saml_idp_server: SamlIdP) -> SamlIdP:
    """The second IdP, which knows the service (its metadata registered there too)."""
    register_saml_sp(app, second_saml_idp_server)
    return second_saml_idp_server


def test_an_answer_from_another_idp_of_the_federation_is_refused_as_the_wrong_issuer(
    app: Flask,
    saml: SamlIdP,
    other_idp: SamlIdP,
    client: Any,
    db: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    aggregate = _federation_metadata(tmp_path, saml, other_idp)
    settings = saml_provider_settings(
        saml,
        idp_metadata_file=str(aggregate),
        idp_entity_id=f"{saml.url}/metadata.xml",
    )
    del settings["idp_metadata_url"]
    monkeypatch.setitem(app.config, "SSO_PROVIDERS", [settings])

    acs, fields = saml_idp_answer(client, answered_by=other_idp)
    assert _issuer_of(fields) == f"{other_idp.url}/metadata.xml"
    response = client.post(acs, data=fields)

    _assert_refused(response, client, db, RefusalReason.WRONG_ISSUER)
    [refused] = _audits(db, "auth.sso_refused")
    assert refused.data["reason"] == "wrong_issuer"
    assert other_idp.url in refused.data["detail"]  # the log and the trail name the issuer
    assert _people(db) == []


def test_the_same_federation_answer_from_the_configured_idp_signs_in(
    app: Flask,
    saml: SamlIdP,
    other_idp: SamlIdP,
    client: Any,
    db: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The refusal above is the issuer's doing: the aggregate itself works."""
    aggregate = _federation_metadata(tmp_path, saml, other_idp)
    settings = saml_provider_settings(
        saml,
        idp_metadata_file=str(aggregate),
        idp_entity_id=f"{saml.url}/metadata.xml",
    )
    del settings["idp_metadata_url"]
    monkeypatch.setitem(app.config, "SSO_PROVIDERS", [settings])

    acs, fields = saml_idp_answer(client)
    response = client.post(acs, data=fields)

    assert response.status_code == 302
    assert _logged_in(client)
    assert _audits(db, "auth.sso_refused") == []


def test_an_answer_from_an_idp_missing_from_the_metadata_is_refused_by_its_signature(
    saml: SamlIdP, other_idp: SamlIdP, client: Any, db: Any
) -> None:
    """With only its own IdP's metadata the service has no key for the other issuer: pysaml2
    refuses the signature (MissingKey) before the service's issuer check is reached."""
    acs, fields = saml_idp_answer(client, answered_by=other_idp)
    assert _issuer_of(fields) == f"{other_idp.url}/metadata.xml"
    response = client.post(acs, data=fields)

    _assert_refused(response, client, db, RefusalReason.BAD_SIGNATURE)
    [refused] = _audits(db, "auth.sso_refused")
    assert refused.data["detail"] == f"MissingKey: {other_idp.url}/metadata.xml"
    assert _people(db) == []
