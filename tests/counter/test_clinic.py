"""Clinic check-in output: FHIR R4 Patient validated by fhir.resources, flat JSON."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fhir.resources.R4B.patient import Patient

from cardkit.clinic import CCCD_SYSTEM, VERIFICATION_EXTENSION, fhir_patient, flat_record
from cardkit_cli.main import cli


def _read(fmt: str, persona: str = "default") -> tuple[int, dict]:
    r = CliRunner().invoke(cli, ["read", "--sim", persona, "--format", fmt])
    return r.exit_code, json.loads(r.stdout)


def test_fhir_patient_validates_and_carries_identity() -> None:
    code, res = _read("fhir")
    assert code == 0
    # fhir.resources 8 ships R5 (default) and R4B; Patient is unchanged between R4 and R4B.
    patient = Patient.model_validate(res)
    assert patient.identifier[0].system == CCCD_SYSTEM
    assert patient.identifier[0].value == "001093000001"
    assert patient.name[0].family == "Nguyễn" and patient.name[0].given == ["Văn", "An"]
    assert str(patient.birthDate) == "1993-01-05" and patient.gender == "male"
    assert patient.address and patient.address[0].text
    ext = {e.url: e for e in patient.extension}[VERIFICATION_EXTENSION]
    subs = {e.url: e for e in ext.extension}
    assert subs["verdict"].valueCode == "VERIFIED"
    assert patient.meta.tag[0].code == "VERIFIED"
    assert "photo" not in res and "/9j/" not in json.dumps(res)  # no base64 JPEG portrait


def test_forged_card_is_tagged_rejected() -> None:
    code, res = _read("fhir", "forged-dg")
    assert code == 3
    Patient.model_validate(res)
    assert res["meta"]["tag"][0]["code"] == "REJECTED"
    checks = [e for e in res["extension"][0]["extension"] if e["url"] == "check"]
    states = {c["extension"][0]["valueCode"]: c["extension"][1]["valueCode"] for c in checks}
    assert states["passive_auth"] == "invalid"


def test_flat_json() -> None:
    code, flat = _read("json")
    assert code == 0
    assert flat["id_number"] == "001093000001" and flat["verdict"] == "VERIFIED"
    assert flat["full_name"] == "Nguyễn Văn An" and flat["check_passive_auth"] == "valid"
    assert all(not isinstance(v, dict | list) for v in flat.values())


@pytest.mark.parametrize("sex, gender", [("F", "female"), ("M", "male"), ("?", "unknown")])
def test_gender_mapping(sex: str, gender: str) -> None:
    res = fhir_patient({"identity": {"id_number": "001093000001", "sex": sex},
                        "verdict": {"result": "incomplete",
                                    "reasons": [{"message": "no CSCA"}]}})
    Patient.model_validate(res)
    assert res["gender"] == gender and res["meta"]["tag"][0]["code"] == "INCOMPLETE"
    assert flat_record({"identity": {}})["verdict"] == "INCOMPLETE"
