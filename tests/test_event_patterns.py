"""EventBridge's event-pattern grammar, against the examples of its User Guide ("Creating event patterns",
"Comparison operators for use in event patterns", "Content filtering") and the patterns AWS's Partner
Central samples use. The same checks run behind PutRule and TestEventPattern (tests/test_eventbridge.py)."""

from __future__ import annotations

import json

import pytest

from cosell.domain.event_patterns import EventPattern, InvalidPattern

EC2_EVENT = {
    "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2", "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated", "c-count": 5, "d-count": 3,
               "x-limit": 301.8, "source-ip": "10.0.0.123", "Filename": "file.PNG", "location": "eu-central-1",
               "FilePath": "dir/lib/file.txt", "EventName": "StartInstances", "tags": ["prod", "web"]},
}

PARTNER_EVENT = {
    "version": "0", "id": "8c56be05-c9ef-2191-1b08-aca30e48fe5e", "detail-type": "Opportunity Created",
    "source": "aws.partnercentral-selling", "account": "691709974417", "time": "2025-02-19T03:11:25Z",
    "region": "us-east-1", "resources": [],
    "detail": {"schemaVersion": "1", "catalog": "Sandbox", "opportunity": {"identifier": "O5465588"}},
}

MATCHES = [
    ({"source": ["aws.ec2"]}, True),
    ({"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]}, True),
    ({"source": ["aws.s3"]}, False),
    ({"detail": {"state": ["running", "terminated"]}}, True),  # any value of the array
    ({"detail": {"state": ["running"]}}, False),
    ({"time": [{"prefix": "2017-12-22"}]}, True),
    ({"detail": {"location": [{"prefix": {"equals-ignore-case": "EU-"}}]}}, True),
    ({"detail": {"Filename": [{"suffix": ".png"}]}}, False),
    ({"detail": {"Filename": [{"suffix": {"equals-ignore-case": ".png"}}]}}, True),
    ({"detail": {"state": [{"equals-ignore-case": "TERMINATED"}]}}, True),
    ({"detail": {"state": [{"anything-but": "initializing"}]}}, True),
    ({"detail": {"state": [{"anything-but": ["stopped", "terminated"]}]}}, False),
    ({"detail": {"c-count": [{"anything-but": 5}]}}, False),
    ({"detail": {"location": [{"anything-but": {"prefix": "us-"}}]}}, True),
    ({"detail": {"Filename": [{"anything-but": {"suffix": ".PNG"}}]}}, False),
    ({"detail": {"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "TERMINATED"]}}]}}, False),
    ({"detail": {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}}, False),
    ({"detail": {"FilePath": [{"wildcard": "dir/*/file.txt"}]}}, True),
    ({"detail": {"EventName": [{"wildcard": "*Instances"}]}}, True),
    ({"detail": {"EventName": [{"wildcard": "Stop*"}]}}, False),
    ({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}],
                 "x-limit": [{"numeric": ["=", 301.8]}]}}, True),
    ({"detail": {"c-count": [{"numeric": [">", 5]}]}}, False),
    ({"detail": {"c-count": [5.0]}}, True),  # numbers match as numbers
    ({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, True),
    ({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, False),
    ({"detail": {"state": [{"exists": True}]}}, True),
    ({"detail": {"missing": [{"exists": False}]}}, True),
    ({"detail": {"state": [{"exists": False}]}}, False),
    ({"detail": {"missing": ["x"]}}, False),
    ({"detail": {"tags": ["web"]}}, True),  # an array in the event matches when one element does
    ({"detail": {"$or": [{"c-count": [{"numeric": [">", 10]}]}, {"d-count": [{"numeric": ["<", 5]}]}]}}, True),
    ({"$or": [{"source": ["aws.s3"]}, {"detail": {"state": ["pending"]}}]}, False),
    ({"detail": {"instance-id": [{"prefix": "i-"}], "state": ["terminated"]}, "resources": [{"prefix": "arn:aws:ec2"}]},
     True),
]


@pytest.mark.parametrize("pattern, expected", MATCHES, ids=[json.dumps(p)[:70] for p, _ in MATCHES])
def test_documented_matches(pattern, expected):
    assert EventPattern(json.dumps(pattern)).matches(EC2_EVENT) is expected


def test_the_partner_central_samples_patterns():
    """The rule of AWS's samples, the Postman collection's, and the CloudFormation template's."""
    samples = [
        ({"source": ["aws.partnercentral-selling"], "detail-type": ["Opportunity Created"], "detail": {"catalog": ["AWS"]}},
         False),
        ({"source": ["aws.partnercentral-selling"], "detail": {"catalog": ["Sandbox"]}}, True),
        ({"source": ["aws.partnercentral-selling"], "detail-type": ["Opportunity Created", "Opportunity Updated"]}, True),
        ({"detail": {"environmentName": ["Production"]}}, False),  # the Java sample's: never matches
        ({"detail": {"opportunity": {"identifier": [{"prefix": "O"}]}}}, True),
    ]
    for pattern, expected in samples:
        assert EventPattern(json.dumps(pattern)).matches(PARTNER_EVENT) is expected, pattern


def test_null_and_empty_values():
    event = {"detail": {"nothing": None, "empty": "", "list": []}}
    assert EventPattern('{"detail": {"nothing": [null]}}').matches(event)
    assert not EventPattern('{"detail": {"absent": [null]}}').matches(event)
    assert EventPattern('{"detail": {"empty": [""]}}').matches(event)
    assert not EventPattern('{"detail": {"nothing": [{"anything-but": "x"}]}}').matches(event)
    # An empty array has no value to match: as if absent (Event Ruler flattens the event to its values).
    assert EventPattern('{"detail": {"list": [{"exists": false}]}}').matches(event)
    assert not EventPattern('{"detail": {"detail": [{"exists": true}]}}').matches({"detail": {"detail": {"a": 1}}})


@pytest.mark.parametrize("text, reason", [
    ("not json", "not valid JSON"),
    ("[1, 2]", "not an object"),
    ("{}", "Empty objects are not allowed"),
    ('{"source": []}', "Empty arrays are not allowed"),
    ('{"source": "aws.ec2"}', "Match value must be"),
    ('{"detail": {"n": [{"numeric": [">", "five"]}]}}', "must be numeric"),
    ('{"detail": {"n": [{"numeric": ["<", 10, ">", 0]}]}}', "Bad numeric range"),
    ('{"detail": {"n": [{"numeric": ["~", 1]}]}}', "Unrecognized numeric range operator"),
    ('{"detail": {"n": [{"exists": "yes"}]}}', "exists match pattern must be either true or false"),
    ('{"detail": {"n": [{"unknown-op": "x"}]}}', "Unrecognized match type unknown-op"),
    ('{"detail": {"n": [{"prefix": "a", "suffix": "b"}]}}', "Only one key allowed"),
    ('{"detail": {"n": [{"wildcard": "a**b"}]}}', "Consecutive wildcard characters"),
    ('{"detail": {"n": [{"cidr": "10.0.0.300/24"}]}}', "Nonstandard IP address"),
    ('{"$or": [{"source": ["a"]}]}', "$or must be an array of at least two objects"),
    ('{"detail": {"n": [{"anything-but": [true]}]}}', "Inside anything but list"),
])
def test_invalid_patterns_say_why(text, reason):
    with pytest.raises(InvalidPattern, match=reason.replace("$", r"\$")):
        EventPattern(text)
