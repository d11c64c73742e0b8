"""Reading an export for analysis (`experiments.data`, Dallinger's `dallinger.data`)."""

import zipfile
from datetime import datetime, timezone

import pandas as pd
import pytest

from core.models import Info
from experiments import data
from experiments.export import export_data

pytestmark = pytest.mark.django_db

DALLINGER_ATTRIBUTES = (
    "infos", "networks", "nodes", "notifications", "participants", "questions",
    "transformations", "transmissions", "vectors",
)  # fmt: skip


@pytest.fixture
def exported(make_participant, make_node, tmp_path):
    """An export of one participant whose node sent an info (with details) to another node."""
    participant = make_participant(bonus=0.5, end_time=datetime(2024, 5, 1, 12, 0, 0, 120000, timezone.utc))
    sender, receiver = make_node(participant=participant), make_node()
    sender.connect(whom=receiver)
    info = Info(origin=sender, contents="hello", details={"round": 2}, property1="")
    info.save()
    sender.transmit(what=info, to_whom=receiver)
    failed = Info(origin=sender)
    failed.save()
    failed.fail("withdrawn")
    path = export_data(tmp_path / "data" / "exp-9-data.zip", experiment_id="exp-9", scrub=False)
    return {"path": path, "participant": participant, "info": info, "failed": failed}


def test_data_has_a_table_for_each_of_dallingers_tables(exported):
    loaded = data.Data(str(exported["path"]))

    assert all(isinstance(getattr(loaded, name), data.Table) for name in DALLINGER_ATTRIBUTES)
    assert len(loaded.infos) == 2 and len(loaded.transmissions) == 1
    assert loaded.experiment_id == "exp-9"


def test_records_hold_typed_values(exported):
    infos = {row["id"]: row for row in data.Data(exported["path"]).infos.records}

    info = infos[exported["info"].pk]
    assert (info["contents"], info["details"], info["complete"], info["failed"]) == ("hello", {"round": 2}, True, False)
    assert (info["property1"], info["property2"]) == ("", None)  # "" and NULL stay apart
    assert info["creation_time"] == Info.objects.get(pk=info["id"]).creation_time
    failed = infos[exported["failed"].pk]
    assert (failed["contents"], failed["complete"], failed["failed"]) == (None, False, True)


def test_the_dataframe_has_analysable_columns(exported):
    frame = data.Data(exported["path"]).participants.df

    assert list(frame["id"]) == [exported["participant"].pk]
    assert str(frame["failed"].dtype) == "boolean" and not frame["failed"][0]
    assert frame["end_time"][0] == pd.Timestamp("2024-05-01 12:00:00.12", tz="UTC")
    assert frame["bonus"][0] == 0.5
    assert frame["entry_information"][0] == {}


def test_table_text_forms_and_dallingers_dict(exported):
    table = data.Data(exported["path"]).networks

    assert table.csv.startswith("id,creation_time,")
    assert table.tsv.split("\n", 1)[0].split("\t") == table.columns
    assert table.dict == table.records[0]


def test_load_finds_the_export_under_data_by_its_id(exported, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    assert len(data.load("exp-9").participants) == 1
    with pytest.raises(OSError, match="Dataset exp-10 could not be found"):
        data.load("exp-10")


def test_export_writes_the_running_record_where_load_finds_it(exported, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    path = data.export("exp-11")

    assert path == str(tmp_path / "data" / "exp-11-data.zip")
    assert data.load("exp-11").participants.records[0]["worker_id"] == exported["participant"].worker_id


@pytest.mark.parametrize(
    ("member", "text", "message"),
    [
        ("data/info.csv", None, "has no data/info.csv"),
        ("data/info.csv", 'id,contents\n1,"never closed\n', "quoted field is never closed"),
        ("data/info.csv", "id,contents\n1,a,b\n", "line 2: 3 values for 2 columns"),
        ("data/info.csv", "id,failed\n1,maybe\n", "column failed"),
    ],
)
def test_a_broken_export_is_refused_with_a_readable_message(exported, tmp_path, member, text, message):
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(exported["path"]) as original, zipfile.ZipFile(broken, "w") as copy:
        for name in original.namelist():
            if name != member:
                copy.writestr(name, original.read(name))
        if text is not None:
            copy.writestr(member, text)

    with pytest.raises(data.DataError, match=message):
        data.Data(broken).infos.records


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    (tmp_path / "x.zip").write_text("no")

    with pytest.raises(data.DataError, match="Cannot open"):
        data.Data(tmp_path / "x.zip")
