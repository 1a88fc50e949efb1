"""The project's own sample DPA, used by the demo and the tests. Two versions, so the diff page has something
to show. The wording is ours; the numbers (48 hours, 10 business days, 5 business days, 30 days) are the
reference processor's commitments."""

PREVIOUS = {
    "label": "2025.1",
    "title": "Data Processing Agreement",
    "change_summary": "First published version.",
}

CURRENT = {
    "label": "2026.1",
    "title": "Data Processing Agreement",
    "change_summary": (
        "Breach notification shortened from 72 to 48 hours; sub-processor notice set at 10 business days with a "
        "right to object; new clause on processing inside the EEA; Annex 1 lists technical and organisational "
        "measures in more detail."
    ),
}

_INTRO = """\
This Data Processing Agreement ("**DPA**") is part of the agreement under which {processor} (the "**Processor**")
provides its model routing API and related services (the "**Services**") to the customer named on the cover
(the "**Controller**"). It applies whenever the Processor handles personal data on the Controller's behalf.
Words such as *personal data*, *processing*, *data subject* and *supervisory authority* mean what the GDPR says
they mean.
"""

_INSTRUCTIONS = """\
## Processing on instructions

1. The Processor processes personal data only on the Controller's documented instructions. The Controller's
   configuration of the Services (API settings, routing rules, dashboard preferences) counts as an instruction.
2. Where the law requires the Processor to process personal data otherwise, it tells the Controller before it
   does so, unless the law forbids telling.
3. The Processor tells the Controller promptly when it believes an instruction breaks data-protection law.
"""

_CONFIDENTIALITY = """\
## Confidentiality

1. Only staff and contractors who need personal data to deliver the Services get access to it, and only to
   the extent they need.
2. Everyone with access is bound by a written duty of confidentiality that continues after their work ends.
"""

_SUBPROCESSORS_OLD = """\
## Sub-processors

1. The Controller authorises the Processor to engage the sub-processors listed in Annex 1.
2. The Processor announces a new or replacing sub-processor on its trust portal before engaging it.
3. The Processor imposes data-protection terms on each sub-processor that are no less protective than this DPA.
"""

_SUBPROCESSORS_NEW = """\
## Sub-processors

1. The Controller gives general authorisation for the sub-processors listed in Annex 1.
2. The Processor announces a new or replacing sub-processor at least **10 business days** before it starts
   processing personal data, by email to the Controller's privacy contact and on the trust portal.
3. Until that date the Controller may object on reasonable data-protection grounds. The parties then look for
   a solution in good faith; if there is none, the Controller may end the affected Services.
4. The Processor imposes data-protection terms on each sub-processor that are no less protective than this DPA
   and remains responsible for the sub-processor's performance.
"""

_BREACH_OLD = """\
## Personal data breaches

1. The Processor notifies the Controller of a personal data breach without undue delay and no later than
   72 hours after becoming aware of it.
2. The notice describes the breach, its likely consequences and the measures taken.
"""

_BREACH_NEW = """\
## Personal data breaches

1. The Processor notifies the Controller of a personal data breach without undue delay and no later than
   **48 hours** after becoming aware of it.
2. The notice describes, as far as known: (i) the nature of the breach and the categories and approximate
   number of data subjects; (ii) the data affected and the approximate number of records; (iii) the
   established and expected consequences; (iv) the measures taken and planned.
3. Information that is not yet known may follow in updates; the first notice says what is still pending.
"""

_REQUESTS = """\
## Data-subject requests

1. When a data subject contacts the Processor directly, the Processor refers them to the Controller and
   forwards the request to the Controller within **5 business days**.
2. The Processor helps the Controller answer requests to exercise data-subject rights, using appropriate
   technical and organisational measures.
"""

_DISCLOSURE = """\
## Disclosure to third parties

1. The Processor discloses personal data to a third party only on the Controller's instruction or under an
   order of a court or authority.
2. Where permitted, the Processor notifies the Controller of such an order within **5 business days** of
   receiving it, so that the Controller can seek a remedy.
"""

_EEA = """\
## Processing in the EEA

1. The Processor and its sub-processors for customer data process personal data only inside the European
   Economic Area.
2. A transfer outside the EEA needs the Controller's prior written authorisation and a transfer mechanism under
   Chapter V GDPR.
"""

_DELETION = """\
## Deletion after termination

1. Within **30 days** after the Services end, the Processor deletes the personal data it processes for the
   Controller, unless the law requires it to keep them.
2. The Processor confirms the deletion to the Controller in writing.
"""

_AUDITS = """\
## Audits

1. The Processor makes available the information needed to show compliance with this DPA, including its
   security documentation on the trust portal.
2. The Controller may have an independent auditor bound by confidentiality audit the Processor once a year,
   with 30 days' notice, at the Controller's cost, or at any time after a personal data breach.
"""

_ANNEX_OLD = """\
## Annex 1 — Processing description and security measures

### Processing description

- **Subject and nature:** routing API requests to AI model providers on the Controller's behalf.
- **Data subjects:** the Controller's end users and staff whose data appears in requests.
- **Personal data:** whatever the Controller includes in prompts and responses; account contact details.
- **Duration:** for the term of the agreement.

### Technical and organisational measures

- Encryption in transit (TLS 1.2 or newer) and at rest.
- Access on a need-to-know basis with two-factor authentication.
"""

_ANNEX_NEW = """\
## Annex 1 — Processing description and security measures

### Processing description

- **Subject and nature:** routing API requests to AI model providers on the Controller's behalf.
- **Data subjects:** the Controller's end users and staff whose data appears in requests.
- **Personal data:** whatever the Controller includes in prompts and responses; account contact details.
- **Retention:** request and response content is not stored; billing metadata (time, model, token counts) is
  kept for the term of the agreement.
- **Duration:** for the term of the agreement, then deletion within 30 days.

### Technical and organisational measures

- Encryption in transit (TLS 1.2 or newer) and at rest (AES-256).
- Access on a need-to-know basis, with two-factor authentication and quarterly access reviews.
- Logging of administrative access, kept for twelve months and monitored for anomalies.
- Backups encrypted and restored in a test at least twice a year.
- Yearly penetration test by an independent firm; findings tracked to closure.
- Staff trained in data protection on joining and every year.

The sub-processors authorised on the effective date follow.
"""


def body(which: str = "current", processor: str = "the processor") -> str:
    intro = _INTRO.format(processor=processor)
    if which == "previous":
        parts = [intro, _INSTRUCTIONS, _CONFIDENTIALITY, _SUBPROCESSORS_OLD, _BREACH_OLD, _REQUESTS, _DELETION]
        parts += [_AUDITS, _ANNEX_OLD]
    else:
        parts = [intro, _INSTRUCTIONS, _CONFIDENTIALITY, _SUBPROCESSORS_NEW, _BREACH_NEW, _REQUESTS, _DISCLOSURE]
        parts += [_EEA, _DELETION, _AUDITS, _ANNEX_NEW]
    return "\n".join(parts)
