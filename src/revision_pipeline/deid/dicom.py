"""De-identify DICOM headers: a basic profile in the spirit of DICOM PS3.15 Annex E.

Names, IDs, addresses, phone numbers, institution, staff, device serials and accession
numbers are removed or emptied; dates keep their year only (``YYYY0101``); times are
emptied; ages over 89 become ``090Y``; UIDs are replaced by deterministic new ones; private
tags are removed; free-text descriptions are scrubbed with the text scrubber. Sequences
are handled recursively. Burned-in pixel text is not touched here (see `imaging`).
"""

from __future__ import annotations

import logging
from datetime import date

import pydicom
from pydicom.uid import generate_uid

from revision_pipeline.deid.audit import date_variants
from revision_pipeline.deid.text import scrub

logger = logging.getLogger(__name__)

#: Emptied (type 2 attributes that must stay present).
EMPTY = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "ReferringPhysicianName",
    "AccessionNumber",
    "StudyID",
)
#: Removed.
REMOVE = (
    "OtherPatientIDs",
    "OtherPatientIDsSequence",
    "OtherPatientNames",
    "PatientBirthName",
    "PatientMotherBirthName",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "PatientBirthTime",
    "MedicalRecordLocator",
    "InsurancePlanIdentification",
    "MilitaryRank",
    "BranchOfService",
    "PatientReligiousPreference",
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "InstitutionCodeSequence",
    "ReferringPhysicianAddress",
    "ReferringPhysicianTelephoneNumbers",
    "ReferringPhysicianIdentificationSequence",
    "PerformingPhysicianName",
    "PerformingPhysicianIdentificationSequence",
    "PhysiciansOfRecord",
    "PhysiciansOfRecordIdentificationSequence",
    "NameOfPhysiciansReadingStudy",
    "PhysiciansReadingStudyIdentificationSequence",
    "RequestingPhysician",
    "ScheduledPerformingPhysicianName",
    "OperatorsName",
    "OperatorIdentificationSequence",
    "PersonName",
    "ResponsiblePerson",
    "DeviceSerialNumber",
    "StationName",
    "RequestAttributesSequence",
    "AdmissionID",
    "IssuerOfPatientID",
    "PatientComments",
    "ImageComments",
    "AdditionalPatientHistory",
    "RequestedProcedureID",
    "PerformedProcedureStepID",
    "ScheduledProcedureStepID",
    "FillerOrderNumberImagingServiceRequest",
    "PlacerOrderNumberImagingServiceRequest",
    "CountryOfResidence",
    "RegionOfResidence",
    "CurrentPatientLocation",
    "PatientInstitutionResidence",
)
#: Free text kept but scrubbed.
SCRUB = ("StudyDescription", "SeriesDescription", "PerformedProcedureStepDescription")
#: Value representations handled by type.
_DATE_VR, _TIME_VR, _DATETIME_VR = "DA", "TM", "DT"
_KEEP_UIDS = ("SOPClassUID", "TransferSyntaxUID", "MediaStorageSOPClassUID")
_PHI_VALUE_TAGS = EMPTY + REMOVE + ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")


def _year_only(value: str) -> str:
    text = str(value).strip()
    return f"{text[:4]}0101" if len(text) >= 4 and text[:4].isdigit() else ""


def _scrub_dataset(ds: pydicom.Dataset, uid_salt: str) -> None:
    ds.remove_private_tags()
    for keyword in EMPTY:
        if keyword in ds:
            ds.data_element(keyword).value = ""
    for keyword in REMOVE:
        if keyword in ds:
            delattr(ds, keyword)
    for keyword in SCRUB:
        if keyword in ds and ds.data_element(keyword).value:
            ds.data_element(keyword).value = scrub(str(ds.data_element(keyword).value))
    for elem in list(ds):
        if elem.VR == "SQ":
            for item in elem.value:
                _scrub_dataset(item, uid_salt)
        elif elem.VR == _DATE_VR and elem.value:
            elem.value = _year_only(elem.value)
        elif elem.VR in (_TIME_VR, _DATETIME_VR) and elem.value:
            elem.value = _year_only(elem.value)[:4] if elem.VR == _DATETIME_VR else ""
        elif elem.VR == "UI" and elem.value and elem.keyword not in _KEEP_UIDS:
            elem.value = generate_uid(entropy_srcs=[uid_salt, str(elem.value)])
        elif elem.keyword == "PatientAge" and elem.value:
            digits = "".join(c for c in str(elem.value) if c.isdigit())
            unit = str(elem.value)[-1:]
            if unit == "Y" and digits and int(digits) > 89:
                elem.value = "090Y"


def scrub_dicom_header(ds: pydicom.Dataset, uid_salt: str = "") -> pydicom.Dataset:
    """De-identify ``ds`` in place (and return it); pixel data is left as it is.

    Args:
        ds: a dataset read with ``pydicom.dcmread``.
        uid_salt: mixed into the replacement UIDs (use the pseudonym secret's hex so that
            UIDs cannot be linked back by someone who knows the original ones).
    """
    _scrub_dataset(ds, uid_salt)
    meta = getattr(ds, "file_meta", None)
    if meta is not None and "MediaStorageSOPInstanceUID" in meta and "SOPInstanceUID" in ds:
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "revision_pipeline basic profile (PS3.15 Annex E spirit)"
    return ds


def _collect(ds: pydicom.Dataset, out: set[str]) -> None:
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                _collect(item, out)
            continue
        if not elem.value or elem.keyword in _KEEP_UIDS:
            continue
        if elem.VR == "PN":
            pn = elem.value
            for name in (
                str(pn),
                pn.family_comma_given() if hasattr(pn, "family_comma_given") else "",
            ):
                if name:
                    out.add(name)
            parts = [p for p in (pn.family_name, pn.given_name) if p]
            if len(parts) == 2:
                out.update({" ".join(parts), " ".join(reversed(parts)), "".join(parts)})
            for group in (pn.ideographic, pn.phonetic):
                if group:
                    out.add(str(group).replace("^", ""))
        elif elem.VR == _DATE_VR:
            try:
                text = str(elem.value)
                out |= date_variants(date(int(text[:4]), int(text[4:6]), int(text[6:8])))
            except ValueError:
                out.add(str(elem.value))
        elif elem.keyword in _PHI_VALUE_TAGS:
            values = elem.value if elem.VM > 1 else [elem.value]
            out.update(str(v) for v in values if str(v).strip())


def dicom_identifiers(ds: pydicom.Dataset) -> set[str]:
    """The PHI values in ``ds`` (names and their spellings, IDs, exact-date variants …).

    Meant as input to `revision_pipeline.deid.audit.audit_paths`; private tags are not read.
    """
    out: set[str] = set()
    _collect(ds, out)
    return {v.strip() for v in out if v.strip()}
