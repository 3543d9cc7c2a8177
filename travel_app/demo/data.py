"""The demo university, its people and demo advisories, as plain data."""

from __future__ import annotations

from typing import Any

#: Every demo account shares this password; the README lists the logins.
DEMO_PASSWORD = "safe-passage-demo"
DEMO_DOMAIN = "demo-uni.example"
DEMO_LABEL = "DEMO DATA, not real travel advice."

# code, kind, parent code, name_nl, name_en, head login
UNITS: list[Any] = [
    ("DEMO", "university", None, "Demo Universiteit", "Demo University", "rector"),
    ("SCI", "faculty", "DEMO", "Faculteit Wetenschappen", "Faculty of Science", "dean.sci"),
    (
        "ART",
        "faculty",
        "DEMO",
        "Faculteit Letteren en Wijsbegeerte",
        "Faculty of Arts and Philosophy",
        "dean.art",
    ),
    ("SCI-BIO", "department", "SCI", "Vakgroep Biologie", "Department of Biology", "head.bio"),
    ("SCI-GEO", "department", "SCI", "Vakgroep Geologie", "Department of Geology", "head.geo"),
    ("ART-HIS", "department", "ART", "Vakgroep Geschiedenis", "Department of History", "head.his"),
    (
        "ART-CDS",
        "department",
        "ART",
        "Vakgroep Conflict- en Ontwikkelingsstudies",
        "Department of Conflict and Development Studies",
        "head.cds",
    ),
]

# login, name, category, unit, language, nationalities, roles [(role, faculty code)], promoter
PEOPLE: list[Any] = [
    ("admin", "Ada Admin", "atp", "DEMO", "en", ["BE"], [("admin", None)], None),
    ("safety", "Sofie Veiligheid", "atp", "DEMO", "nl", ["BE"], [("safety_officer", None)], None),
    ("crisis", "Karel Crisis", "atp", "DEMO", "nl", ["BE"], [("crisis_team", None)], None),
    ("rector", "Rita Rector", "professor", "DEMO", "nl", ["BE"], [("executive", None)], None),
    (
        "dean.sci",
        "Dirk Decaan",
        "professor",
        "SCI",
        "nl",
        ["BE"],
        [("faculty_authority", "SCI")],
        None,
    ),
    (
        "dean.art",
        "Dana Dean",
        "professor",
        "ART",
        "en",
        ["BE", "NL"],
        [("faculty_authority", "ART")],
        None,
    ),
    ("head.bio", "Bart Bioloog", "professor", "SCI-BIO", "nl", ["BE"], [], None),
    ("head.geo", "Greet Geoloog", "professor", "SCI-GEO", "nl", ["BE"], [], None),
    ("head.his", "Hilde Historica", "professor", "ART-HIS", "nl", ["BE"], [], None),
    ("head.cds", "Chris Conflict", "professor", "ART-CDS", "en", ["BE"], [], None),
    ("prof", "Pieter Professor", "professor", "ART-CDS", "nl", ["BE"], [], None),
    ("postdoc", "Paula Postdoc", "postdoc", "SCI-GEO", "en", ["DE"], [], None),
    ("phd", "Pedro Doctorandus", "phd", "SCI-BIO", "en", ["BE", "CO"], [], "head.geo"),
    ("student", "Sara Student", "student", "ART-HIS", "nl", ["BE"], [], None),
    ("atp", "Tom Technicus", "atp", "SCI-GEO", "nl", ["BE"], [], None),
]

# country, region or None, level, source, summary, tags
ADVISORIES = [
    ("NL", None, 0, "nl_bz", "No specific risks.", []),
    ("DE", None, 0, "be_fps", "No particular advice.", []),
    ("JP", None, 0, "be_fps", "No particular advice.", []),
    ("CA", None, 0, "us_state", "Exercise normal precautions.", []),
    ("KE", None, 1, "be_fps", "Be vigilant, especially in Nairobi.", []),
    ("KE", "KE-24", 3, "be_fps", "All travel to Mandera county advised against.", []),
    ("IN", None, 1, "uk_fcdo", "Increased vigilance.", []),
    ("IN", "IN-JK", 2, "uk_fcdo", "All but essential travel.", []),
    ("TR", None, 1, "nl_bz", "Yellow: be alert.", []),
    ("TR", "TR-63", 2, "nl_bz", "Orange near the Syrian border.", []),
    ("EG", None, 1, "fr_meae", "Jaune: vigilance renforcée.", []),
    ("EG", "EG-JS", 2, "fr_meae", "Orange outside Sharm el-Sheikh.", []),
    ("BR", None, 1, "us_state", "Exercise increased caution.", []),
    ("CO", None, 2, "be_fps", "Advised against unless essential.", []),
    ("CO", "CO-ARA", 3, "be_fps", "All travel advised against.", []),
    ("NG", None, 2, "uk_fcdo", "All but essential travel in several states.", []),
    ("NG", "NG-BO", 3, "uk_fcdo", "All travel advised against in Borno.", []),
    ("ET", None, 2, "nl_bz", "Orange: essential travel only.", []),
    ("ET", "ET-TI", 3, "nl_bz", "Red: do not travel.", ["evacuation"]),
    ("LB", None, 2, "be_fps", "Advised against unless essential.", []),
    ("PK", None, 2, "us_state", "Reconsider travel.", []),
    ("PK", "PK-KP", 3, "us_state", "Do not travel.", []),
    ("CD", None, 2, "be_fps", "Advised against unless essential.", []),
    ("CD", "CD-NK", 3, "be_fps", "All travel advised against in North Kivu.", ["evacuation"]),
    ("AF", None, 3, "be_fps", "All travel advised against.", []),
    ("SY", None, 3, "be_fps", "All travel advised against.", ["evacuation"]),
    ("YE", None, 3, "uk_fcdo", "Against all travel.", []),
    ("ML", None, 3, "fr_meae", "Rouge: formellement déconseillé.", []),
    ("SO", None, 3, "us_state", "Do not travel.", []),
]

COUNTRY_LISTS = {
    "heat_required": ["AF", "SY", "YE", "ML", "SO", "NG", "CO", "CD"],
    "insurer_excluded": ["AF", "SY", "YE", "SO"],
    "committee_only": ["ML", "PK", "LB"],
    "forbidden": ["KP", "SY"],
}


def email(login: str) -> str:
    return f"{login}@{DEMO_DOMAIN}"


# traveller, purpose, legs (country, region, days from today to arrival and to departure, city),
# flags, submit?, decisions in order (decider, step, outcome, comment, conditions)
TRIPS: list[Any] = [
    (
        "phd",
        "Biodiversity survey in Antioquia",
        [("CO", "CO-ANT", 70, 84, "Medellín")],
        ["remote_fieldwork"],
        True,
        [],
    ),
    (
        "postdoc",
        "Conference in Nairobi",
        [("KE", None, 30, 35, "Nairobi")],
        [],
        True,
        [("head.geo", "supervisor", "approve", "", [])],
    ),
    (
        "prof",
        "Interviews in Beirut",
        [("LB", None, 50, 57, "Beirut"), ("TR", None, 57, 60, "Istanbul")],
        [],
        True,
        [
            ("head.cds", "supervisor", "approve", "", []),
            ("dean.art", "faculty_authority", "approve", "Essential for the project.", []),
        ],
    ),
    (
        "atp",
        "Field equipment delivery in Addis Ababa",
        [("ET", None, 45, 52, "Addis Ababa")],
        [],
        True,
        [
            (
                "head.geo",
                "supervisor",
                "request_changes",
                "Add the accommodation's phone number.",
                [],
            )
        ],
    ),
    ("student", "Archive visit in Istanbul", [("TR", None, 40, 48, "Istanbul")], [], False, []),
]

# DEMO country pages: the safety office's notes (Markdown, per language) and the Belgian
# embassy's contact for a few countries. Written by the demo safety officer; not real advice.
COUNTRY_NOTES = {
    "KE": {
        "nl": (
            f"*{DEMO_LABEL}*\n\n# Gedrag\n\nVermijd betogingen en grote samenscholingen. Reis na "
            "donker niet over land buiten Nairobi.\n\n# Lokale wetgeving\n\nPlastic zakken zijn "
            "verboden. Fotografeer geen overheidsgebouwen.\n\n# Interculturele voorbereiding\n\n"
            "Begroet eerst, ga dan pas ter zake; afspraken lopen vaak uit.\n\n# Lokale contacten\n"
            "\n- Partneruniversiteit: International Office, +254 20 000 0000"
        ),
        "en": (
            f"*{DEMO_LABEL}*\n\n# Conduct\n\nAvoid demonstrations and large gatherings. Do not "
            "travel overland outside Nairobi after dark.\n\n# Local law\n\nPlastic bags are "
            "banned. Do not photograph government buildings.\n\n# Intercultural preparation\n\n"
            "Greet first, then get to business; meetings often run late.\n\n# Local contacts\n\n"
            "- Partner university: International Office, +254 20 000 0000"
        ),
    },
    "CO": {
        "nl": (
            f"*{DEMO_LABEL}*\n\n# Gedrag\n\nGebruik enkel taxi's via een app. Draag geen "
            "juwelen op straat.\n\n# Lokale contacten\n\n- Veldcoördinator: +57 300 000 0000"
        ),
        "en": (
            f"*{DEMO_LABEL}*\n\n# Conduct\n\nOnly take taxis booked through an app. Do not wear "
            "jewellery in the street.\n\n# Local contacts\n\n- Field coordinator: +57 300 000 0000"
        ),
    },
    "ML": {
        "en": (
            f"*{DEMO_LABEL}*\n\n# Conduct\n\nTravel to Mali needs the committee's approval. "
            "Register with [Travellers Online](https://travellersonline.diplomatie.be) before "
            "you leave."
        ),
    },
}
# country: name, address, phone, e-mail, website, notes
EMBASSIES = {
    "KE": (
        "Embassy of Belgium in Nairobi",
        "Limuru Road, Muthaiga\nNairobi",
        "+254 20 000 0001",
        "nairobi@demo-embassy.example",
        "https://kenya.diplomatie.belgium.be",
        DEMO_LABEL,
    ),
    "CO": (
        "Embassy of Belgium in Bogotá",
        "Calle 26 #69-76\nBogotá",
        "+57 601 000 0001",
        "bogota@demo-embassy.example",
        "https://colombia.diplomatie.belgium.be",
        DEMO_LABEL,
    ),
    "ML": (
        "Embassy of Belgium in Bamako",
        "Hippodrome\nBamako",
        "+223 20 00 00 01",
        "bamako@demo-embassy.example",
        "https://mali.diplomatie.belgium.be",
        DEMO_LABEL,
    ),
}
