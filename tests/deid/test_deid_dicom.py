"""DICOM header de-identification."""

from __future__ import annotations

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence

from revision_pipeline.deid.dicom import dicom_identifiers, scrub_dicom_header


def _dataset() -> Dataset:
    ds = Dataset()
    ds.PatientName = "Zhang^Wei"
    ds.PatientID = "MRN0012345"
    ds.PatientBirthDate = "19400307"
    ds.PatientAge = "093Y"
    ds.PatientSex = "M"
    ds.OtherPatientIDs = "110101194003071234"
    ds.InstitutionName = "某某医院眼科"
    ds.ReferringPhysicianName = "Li^Ming"
    ds.OperatorsName = "Wang^Fang"
    ds.StudyDate = "20230305"
    ds.StudyTime = "101500"
    ds.AccessionNumber = "ACC778812"
    ds.DeviceSerialNumber = "SN-20391"
    ds.StationName = "FUNDUS01"
    ds.StudyDescription = "眼底照相 患者张三"
    ds.StudyInstanceUID = "1.2.3.4.5"
    ds.SOPInstanceUID = "1.2.3.4.5.6"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.77.1.5.1"
    item = Dataset()
    item.PerformingPhysicianName = "Chen^Jie"
    item.ContentDate = "20230306"
    ds.RequestedProcedureCodeSequence = Sequence([item])
    ds.add_new(0x00091010, "LO", "private PHI")
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4.5.6"
    return ds


def test_identifiers_collected():
    ids = dicom_identifiers(_dataset())
    assert {"Zhang^Wei", "Zhang Wei", "MRN0012345", "ACC778812", "SN-20391", "Chen^Jie"} <= ids
    assert {"2023-03-05", "1940-03-07"} <= ids
    assert "M" not in ids


def test_header_scrubbed():
    ds = scrub_dicom_header(_dataset(), uid_salt="k")
    assert ds.PatientName == "" and ds.PatientID == "" and ds.PatientBirthDate == ""
    for kw in ("OtherPatientIDs", "InstitutionName", "OperatorsName", "DeviceSerialNumber"):
        assert kw not in ds
    assert ds.StudyDate == "20230101" and ds.StudyTime == ""
    assert ds.PatientAge == "090Y" and ds.PatientSex == "M"
    assert ds.StudyDescription == "眼底照相 患者[姓名]"
    assert ds.StudyInstanceUID != "1.2.3.4.5"
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.77.1.5.1"
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert ds.RequestedProcedureCodeSequence[0].ContentDate == "20230101"
    assert "PerformingPhysicianName" not in ds.RequestedProcedureCodeSequence[0]
    assert 0x00091010 not in ds
    assert ds.PatientIdentityRemoved == "YES"
    leftover = dicom_identifiers(ds)
    assert not leftover & {"Zhang^Wei", "MRN0012345", "2023-03-05", "Chen^Jie"}


def test_uids_are_deterministic_per_salt():
    a = scrub_dicom_header(_dataset(), uid_salt="k").StudyInstanceUID
    b = scrub_dicom_header(_dataset(), uid_salt="k").StudyInstanceUID
    c = scrub_dicom_header(_dataset(), uid_salt="other").StudyInstanceUID
    assert a == b != c
    assert isinstance(pydicom.uid.UID(a), str)
