"""Request bodies for the OpenAPI document, taken from the sandbox walkthrough (README): what a
person pastes into "Try it out" after creating two sandbox accounts, with the `base_url` and
`credentials` POST /sandbox/accounts answered. Keyed by the body's schema;
tests/api/test_docs.py validates each against it."""

from __future__ import annotations

from typing import Any

# As `make run` serves them, but named `localhost`: pasted unchanged into a service whose sandbox
# lives elsewhere, the example is refused (url_not_allowed) instead of calling whatever listens.
SANDBOX = "http://localhost:8000/sandbox"
HUBSPOT = {
    "system": "hubspot",
    "credentials": {"access_token": "pat-eu1-5f0c2a8e-9d1b-4c3e-8a7f-2b6d4e1c9a30"},
    "base_url": f"{SANDBOX}/hubspot/0b8e6c1d-3f2a-4e5b-9c7d-1a2b3c4d5e6f",
}
PIPEDRIVE_SOURCE = {
    "system": "pipedrive",
    "credentials": {"api_token": "8c2f4e6a1b3d5f7091a2b3c4d5e6f708192a3b4c"},
    "base_url": f"{SANDBOX}/pipedrive/6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c",
}
PIPEDRIVE_TARGET = {
    "system": "pipedrive",
    "credentials": {"api_token": "3e5a7c9b1d2f4a6c8e0b1d3f5a7c9e1b2d4f6a8c"},
    "base_url": f"{SANDBOX}/pipedrive/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
}

Examples = dict[str, dict[str, Any]]


def _named(summary: str, value: Any) -> dict[str, Any]:
    return {"summary": summary, "value": value}


BODY_EXAMPLES: dict[str, Examples] = {
    "SessionCreate": {
        "hubspot": _named(
            "HubSpot sandbox into an empty Pipedrive sandbox",
            {"source": HUBSPOT, "target": PIPEDRIVE_TARGET},
        ),
        "pipedrive": _named(
            "Pipedrive into Pipedrive, some entities, custom fields mapped",
            {
                "source": PIPEDRIVE_SOURCE,
                "target": PIPEDRIVE_TARGET,
                "entities": ["organizations", "persons", "deals", "notes"],
                "options": {"mapping": {"fields": {"persons": {"Bio": None}}}},
            },
        ),
        "sample": _named(
            "A small linked slice first",
            {
                "source": HUBSPOT,
                "target": PIPEDRIVE_TARGET,
                "mode": "sample",
                "sample": {"per_entity": 5},
            },
        ),
        "delta": _named(
            "What changed since the last session of the pair",
            {"source": HUBSPOT, "target": PIPEDRIVE_TARGET, "mode": "delta"},
        ),
    },
    "SystemConnection": {
        "pipedrive": _named("A Pipedrive sandbox", PIPEDRIVE_SOURCE),
        "hubspot": _named("A HubSpot sandbox", HUBSPOT),
    },
    "SandboxAccountCreate": {
        "reference": _named(
            "A Pipedrive holding the reference company",
            {"system": "pipedrive", "dataset": "reference", "size": 40},
        ),
        "empty": _named(
            "An empty Pipedrive to migrate into", {"system": "pipedrive", "dataset": "empty"}
        ),
        "hubspot": _named(
            "A HubSpot source with a small daily budget",
            {"system": "hubspot", "size": 40, "limits": {"daily_tokens": 5000}},
        ),
        "faulty": _named(
            "A Pipedrive that fails now and then, reproducibly",
            {
                "system": "pipedrive",
                "dataset": "empty",
                "faults": {"writes": {"server_error": 0.05, "rate_limit": 0.02}, "seed": 7},
            },
        ),
    },
    "SandboxFaults": {
        "flaky": _named(
            "Reads slow, some writes lost after they were made",
            {
                "reads": {"server_error": 0.05, "latency_ms": 40},
                "writes": {"server_error_after": 0.02, "drop_after": 0.01},
                "seed": 7,
            },
        ),
        "quiet": _named("No faults any more", {"reads": {}, "writes": {}}),
    },
    "UndoRequest": {
        "keep_edited": _named("Keep what was edited in Pipedrive since", {"force": False}),
        "force": _named("Delete those too", {"force": True}),
    },
}
