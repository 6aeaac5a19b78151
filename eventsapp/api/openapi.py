"""The API's OpenAPI 3.1 description, served at /api/v1/openapi.json and checked in the tests
(the description itself, and every answer against it)."""

_STRING = {"type": "string"}
_TEXTS = {
    "type": "object",
    "description": "A text per language code (fi always; sv and en where the organiser gave them).",
    "properties": {"fi": _STRING, "sv": _STRING, "en": _STRING},
    "required": ["fi"],
    "additionalProperties": False,
}
_TIME = {"type": "string", "format": "date-time"}
_LOCATION = {
    "type": "object",
    "properties": {
        "name": _STRING,
        "street_address": _STRING,
        "room": _STRING,
        "online": {"type": "boolean", "description": "an online link is given to participants"},
    },
    "required": ["name", "street_address", "room", "online"],
    "additionalProperties": False,
}
_FILTERS = [
    {"name": "organisation", "in": "query", "schema": _STRING, "description": "organisation slug"},
    {"name": "category", "in": "query", "schema": _STRING, "description": "category slug"},
    {
        "name": "kind",
        "in": "query",
        "schema": {"type": "string", "enum": ["campus_visit", "course", "other"]},
    },
    {"name": "q", "in": "query", "schema": _STRING, "description": "words to search for"},
    {"name": "start", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "end", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "updated_since", "in": "query", "schema": _TIME},
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {
        "name": "page_size",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
    },
]
_LANG = {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["fi", "sv", "en"]}}


def _ok(schema: str, description: str) -> dict:
    return {
        "200": {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        }
    }


SPEC = {
    "openapi": "3.1.0",
    "info": {
        "title": "Lahti-area employment network: events",
        "version": "1.0.0",
        "description": "Upcoming published events of the network's member organisations. "
        "Read-only and open (CORS). No personal data. Field names follow Linked Events' "
        "event resource where they mean the same.",
    },
    "paths": {
        "/api/v1/events": {
            "get": {
                "summary": "Upcoming published events, soonest first",
                "parameters": [*_FILTERS, _LANG],
                "responses": _ok("EventList", "A page of events"),
            }
        },
        "/api/v1/events/{id}": {
            "get": {
                "summary": "One published event",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    _LANG,
                ],
                "responses": {
                    **_ok("Event", "The event"),
                    "404": {
                        "description": "No such published event",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                },
            }
        },
        "/api/v1/organisations": {
            "get": {
                "summary": "The member organisations",
                "responses": _ok("OrganisationList", "Every organisation"),
            }
        },
        "/api/v1/categories": {
            "get": {
                "summary": "The network's service categories",
                "responses": _ok("CategoryList", "Every category"),
            }
        },
    },
    "components": {
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {"detail": _STRING},
                "required": ["detail"],
            },
            "Organisation": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "description": "the slug, stable"},
                    "name": _STRING,
                    "url": {"type": ["string", "null"]},
                },
                "required": ["id", "name", "url"],
                "additionalProperties": False,
            },
            "Category": {
                "type": "object",
                "properties": {"id": _STRING, "name": _TEXTS},
                "required": ["id", "name"],
                "additionalProperties": False,
            },
            "SubEvent": {
                "type": "object",
                "properties": {"start_time": _TIME, "end_time": _TIME, "location": _LOCATION},
                "required": ["start_time", "end_time", "location"],
                "additionalProperties": False,
            },
            "Event": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "url": {"type": "string", "format": "uri"},
                    "name": _TEXTS,
                    "short_description": _TEXTS,
                    "description": {**_TEXTS, "description": "HTML, sanitised"},
                    "organizer": {"$ref": "#/components/schemas/Organisation"},
                    "category": {"$ref": "#/components/schemas/Category"},
                    "kind": {"type": "string", "enum": ["campus_visit", "course", "other"]},
                    "start_time": _TIME,
                    "end_time": _TIME,
                    "location": {"oneOf": [_LOCATION, {"type": "null"}]},
                    "sub_events": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/SubEvent"},
                        "description": "a course's sessions (empty for one session)",
                    },
                    "super_event": {"type": "null"},
                    "in_language": {"type": "array", "items": _STRING},
                    "audience": {"type": "string", "description": "the target group in words"},
                    "event_status": {
                        "type": "string",
                        "enum": ["EventScheduled", "EventCancelled"],
                    },
                    "enrolment_open": {"type": "boolean"},
                    "seats": {"type": "string", "enum": ["open", "waiting_list", "full"]},
                    "enrolment_url": {"type": "string", "format": "uri"},
                    "offers": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "is_free": {"type": "boolean"},
                                "price": {"type": "null"},
                                "info_url": _TEXTS,
                            },
                            "required": ["is_free", "price", "info_url"],
                        },
                    },
                    "updated_at": _TIME,
                    "last_modified_time": _TIME,
                },
                "required": [
                    "id",
                    "url",
                    "name",
                    "description",
                    "organizer",
                    "category",
                    "kind",
                    "start_time",
                    "end_time",
                    "location",
                    "sub_events",
                    "audience",
                    "enrolment_open",
                    "seats",
                    "enrolment_url",
                    "offers",
                    "updated_at",
                ],
                "additionalProperties": False,
            },
            "EventList": {
                "type": "object",
                "properties": {
                    "meta": {
                        "type": "object",
                        "properties": {
                            "count": {"type": "integer"},
                            "page": {"type": "integer"},
                            "pages": {"type": "integer"},
                            "next": {"type": ["string", "null"]},
                            "previous": {"type": ["string", "null"]},
                        },
                        "required": ["count", "page", "pages", "next", "previous"],
                    },
                    "data": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
                },
                "required": ["meta", "data"],
            },
            "OrganisationList": {
                "type": "object",
                "properties": {
                    "data": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Organisation"},
                    }
                },
                "required": ["data"],
            },
            "CategoryList": {
                "type": "object",
                "properties": {
                    "data": {"type": "array", "items": {"$ref": "#/components/schemas/Category"}}
                },
                "required": ["data"],
            },
        }
    },
}
