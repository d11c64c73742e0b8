"""Dallinger's export format: the zip's layout and values, scrubbing, and loading it back."""

import csv
import io
import json
import re
import zipfile
from datetime import datetime, timezone

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.models import Info, Network, Notification, Participant, Question, Recruitment
from core.networks import Chain
from core.nodes import Agent, RandomBinaryStringSource
from experiments.export import MODELS, TABLES, ArchiveError, export_data, import_data
from experiments.export_csv import read_records, write_record

SECRET_WORKERS = ("WKR-SECRET-ALPHA", "WKR-SECRET-BRAVO")
DALLINGER_CSV_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?$")
SHARED_COLUMNS = {
    "id", "creation_time", "property1", "property2", "property3", "property4", "property5",
    "failed", "failed_reason", "time_of_death", "details",
}  # fmt: skip
#: The columns of each table of Dallinger's export (its models, Dallinger 12).
DALLINGER_COLUMNS = {
    "participant": {
        "type", "fingerprint_hash", "recruiter_id", "worker_id", "assignment_id", "unique_id", "hit_id", "mode",
        "end_time", "base_pay", "bonus", "entry_information", "status",
    },
    "question": {"type", "participant_id", "number", "question", "response"},
    "network": {"type", "max_size", "full", "role"},
    "node": {"type", "network_id", "participant_id"},
    "vector": {"type", "origin_id", "destination_id", "network_id"},
    "info": {"type", "origin_id", "network_id", "contents", "complete"},
    "transmission": {"vector_id", "info_id", "origin_id", "destination_id", "network_id", "receive_time", "status"},
    "transformation": {"type", "info_in_id", "info_out_id", "node_id", "network_id"},
    "notification": {"assignment_id", "event_type"},
}  # fmt: skip
SECRET_FINGERPRINT = "FP-SECRET-0001"
TRICKY_CONTENTS = 'a "quoted", multi-line\r\nstory – ünïcode'


@pytest.fixture
def record(make_network, make_node, make_participant):
    """A small record touching every table: a Chain source → agent → agent, and the rest."""
    alpha = make_participant(
        worker_id=SECRET_WORKERS[0],
        fingerprint_hash=SECRET_FINGERPRINT,
        entry_information={"PROLIFIC_PID": SECRET_WORKERS[0], "lang": "en"},
        bonus=0.1 + 0.2,
    )
    bravo = make_participant(worker_id=SECRET_WORKERS[1], end_time=datetime(2024, 5, 1, 12, 0, 0, 123456, timezone.utc))
    alpha_again = make_participant(worker_id=SECRET_WORKERS[0])
    chain = make_network(Chain, max_size=3)
    nodes = []
    for node_class, participant in ((RandomBinaryStringSource, None), (Agent, alpha), (Agent, bravo)):
        node = make_node(node_class, network=chain, participant=participant)
        chain.add_node(node)
        nodes.append(node)
    source, first, second = nodes
    source.transmit()
    (received,) = first.receive()
    first.replicate(received.info)
    note = Info(origin=first, contents=TRICKY_CONTENTS, details={"scores": [1, 2.5], "ok": True}, property1="")
    note.save()
    first.transmit(what=note, to_whom=second)
    second.receive()
    Question(participant=alpha, number=1, question="engagement", response='{"engagement": "5"}').save()
    bad = Question(participant=bravo, number=2, question="difficulty", response="")
    bad.save()
    bad.fail(reason="bad answer")
    Notification(assignment_id=alpha.assignment_id, event_type="AssignmentSubmitted").save()
    Recruitment(recruiter_id="hotair", details={"count": 2}).save()
    return {"participants": (alpha, bravo, alpha_again), "note": note}


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rows(members, table) -> list[dict]:
    return list(csv.DictReader(io.StringIO(members[f"data/{table}.csv"].decode(), newline="")))


def _database_columns(table) -> list[str]:
    with connection.cursor() as cursor:
        return [column.name for column in connection.introspection.get_table_description(cursor, table)]


def _snapshot() -> dict[str, list[dict]]:
    return {model._meta.db_table: list(model._base_manager.order_by("pk").values()) for model in MODELS}


def _delete_record() -> None:
    for model in reversed(MODELS):  # dependents first
        model._base_manager.all().delete()


def _rewrite(source, target, *, drop=(), add=None, edit=None) -> None:
    """Copy an export zip, leaving out `drop`, adding `add` {name: text} and editing via `edit(name, text)`."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for name in original.namelist():
            if name not in drop:
                text = original.read(name).decode()
                copy.writestr(name, edit(name, text) if edit else text)
        for name, text in (add or {}).items():
            copy.writestr(name, text)


# The layout and the values ---------------------------------------------------------------


def test_export_writes_dallinger_layout(record, tmp_path):
    path = export_data(tmp_path / "out" / "exp-1-data.zip", experiment_id="exp-1")

    members = _members(path)
    assert sorted(members) == sorted(["experiment_id.md", *(f"data/{table}.csv" for table in TABLES)])
    assert members["experiment_id.md"].decode().splitlines()[0] == "exp-1"
    assert "| data/info.csv | 3 |" in members["experiment_id.md"].decode()
    for model in MODELS:
        table = model._meta.db_table
        header = members[f"data/{table}.csv"].decode().split("\n", 1)[0].split(",")
        assert header == _database_columns(table)
        rows = _rows(members, table)
        assert [int(row["id"]) for row in rows] == list(model._base_manager.order_by("pk").values_list("pk", flat=True))
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_export_values_read_back_with_the_csv_module(record, tmp_path):
    members = _members(export_data(tmp_path / "data.zip", experiment_id="exp-1"))

    assert [row["type"] for row in _rows(members, "node")] == ["random_binary_string_source", "agent", "agent"]
    networks = {int(row["id"]): row for row in _rows(members, "network")}
    chain = networks[Chain.objects.get().pk]
    assert (chain["type"], chain["full"], chain["max_size"]) == ("chain", "t", "3")
    assert [row["type"] for row in _rows(members, "transformation")] == ["replication"]
    infos = {int(row["id"]): row for row in _rows(members, "info")}
    note = infos[record["note"].pk]
    assert note["contents"] == TRICKY_CONTENTS
    assert json.loads(note["details"]) == {"scores": [1, 2.5], "ok": True}
    assert (note["failed"], note["complete"]) == ("f", "t")
    question = _rows(members, "question")[1]
    assert question["failed"] == "t" and question["failed_reason"] == "bad answer"
    died = Question.objects.get(pk=question["id"]).time_of_death
    assert datetime.fromisoformat(question["time_of_death"]).replace(tzinfo=timezone.utc) == died
    assert DALLINGER_CSV_TIMESTAMP.match(question["creation_time"])
    participant = _rows(members, "participant")[1]
    assert participant["end_time"] == "2024-05-01 12:00:00.123456"
    assert {row["type"] for row in _rows(members, "vector")} == {"vector"}
    assert float(_rows(members, "participant")[0]["bonus"]) == 0.1 + 0.2
    assert json.loads(_rows(members, "recruitment")[0]["details"]) == {"count": 2}
    # NULL is an empty field, the empty string is "" (PostgreSQL's COPY convention).
    note_line = next(line for line in members["data/info.csv"].decode().split("\n") if line.startswith(f"{note['id']},"))
    assert ',"",,,,' in note_line  # property1 is "", property2..5 are NULL


def test_export_scrubs_identifying_values_by_default(record, tmp_path):
    members = _members(export_data(tmp_path / "data.zip", experiment_id="exp-1"))

    everything = b"".join(members.values())
    for secret in (*SECRET_WORKERS, SECRET_FINGERPRINT):
        assert secret.encode() not in everything
    alpha, bravo, alpha_again = record["participants"]
    rows = _rows(members, "participant")
    assert [row["worker_id"] for row in rows] == ["worker-1", "worker-2", "worker-1"]
    assert [row["unique_id"] for row in rows] == [
        f"worker-1:{alpha.assignment_id}",
        f"worker-2:{bravo.assignment_id}",
        f"worker-1:{alpha_again.assignment_id}",
    ]
    assert rows[0]["fingerprint_hash"] == ""
    assert json.loads(rows[0]["entry_information"]) == {"PROLIFIC_PID": "worker-1", "lang": "en"}
    assert "Scrubbed: yes" in members["experiment_id.md"].decode()


def test_export_without_scrubbing_keeps_identifying_values(record, tmp_path):
    members = _members(export_data(tmp_path / "data.zip", experiment_id="exp-1", scrub=False))

    rows = _rows(members, "participant")
    assert [row["worker_id"] for row in rows] == [SECRET_WORKERS[0], SECRET_WORKERS[1], SECRET_WORKERS[0]]
    assert rows[0]["unique_id"] == record["participants"][0].unique_id
    assert rows[0]["fingerprint_hash"] == SECRET_FINGERPRINT
    assert "Scrubbed: no" in members["experiment_id.md"].decode()


@pytest.mark.django_db(transaction=True)
def test_export_outside_a_transaction_reads_one_snapshot(make_network, tmp_path):
    make_network(Chain)

    members = _members(export_data(tmp_path / "data.zip", experiment_id="exp-1"))

    assert len(_rows(members, "network")) == 1


def test_csv_fields_survive_a_round_trip():
    values = [None, "", '"', ",", "a\nb", "a\r\nb", "\r", 'x""y', "plain", "ü – ✓"]
    stream = io.StringIO(newline="")
    write_record(stream, values)
    write_record(stream, ["second"])
    stream.seek(0)

    assert list(read_records(stream)) == [values, ["second"]]


def test_export_has_every_column_of_dallingers_tables(record, tmp_path):
    members = _members(export_data(tmp_path / "data.zip", experiment_id="exp-1"))

    for table, columns in DALLINGER_COLUMNS.items():
        header = members[f"data/{table}.csv"].decode().split("\n", 1)[0].split(",")
        assert set(header) == SHARED_COLUMNS | columns, table


def test_export_writes_floats_and_json_as_postgresql_prints_them(record, tmp_path):
    participant = record["participants"][1]
    participant.base_pay, participant.bonus = 2.0, 0.5
    participant.details = {"zeta": 1, "ab": {"longer": True, "b": None}, "é": "ünï"}
    participant.save()

    members = _members(export_data(tmp_path / "data.zip", experiment_id="exp-1", scrub=False))

    row = next(row for row in _rows(members, "participant") if int(row["id"]) == participant.pk)
    assert (row["base_pay"], row["bonus"]) == ("2", "0.5")
    assert row["details"] == '{"ab": {"b": null, "longer": true}, "é": "ünï", "zeta": 1}'


# Loading an export back ------------------------------------------------------------------


def test_import_restores_every_row_and_moves_the_sequences_on(record, tmp_path):
    path = export_data(tmp_path / "data.zip", experiment_id="exp-1", scrub=False)
    before = _snapshot()
    _delete_record()

    counts = import_data(path)

    assert counts == {table: len(rows) for table, rows in before.items()}
    after = _snapshot()
    for table in TABLES:
        assert after[table] == before[table], table
    newest = Network.objects.create()
    assert newest.pk > max(row["id"] for row in before["network"])
    loaded = Participant.objects.get(pk=record["participants"][0].pk)
    assert loaded.entry_information == {"PROLIFIC_PID": SECRET_WORKERS[0], "lang": "en"}


def test_export_load_export_gives_the_same_files_byte_for_byte(record, tmp_path):
    first = _members(export_data(tmp_path / "first.zip", experiment_id="exp-1", scrub=False))
    _delete_record()

    call_command("load", str(tmp_path / "first.zip"), stdout=io.StringIO())
    second = _members(export_data(tmp_path / "second.zip", experiment_id="exp-1", scrub=False))

    assert sorted(first) == sorted(second)
    for name in first:
        if name.startswith("data/"):
            assert first[name] == second[name], name
    assert first["experiment_id.md"].splitlines()[0] == second["experiment_id.md"].splitlines()[0]


def test_import_loads_a_dallinger_export_without_the_columns_and_table_it_lacks(record, tmp_path):
    path = export_data(tmp_path / "data.zip", experiment_id="exp-1", scrub=False)

    def drop_column(text, column):
        records = list(read_records(io.StringIO(text, newline="")))
        position = records[0].index(column)
        stream = io.StringIO(newline="")
        for values in records:
            write_record(stream, values[:position] + values[position + 1 :])
        return stream.getvalue()

    def older(name, text):
        columns = {"data/vector.csv": "type", "data/info.csv": "complete"}
        return drop_column(text, columns[name]) if name in columns else text

    # Dallinger exports no recruitment table, and its earlier exports lack vector.type and info.complete.
    _rewrite(path, tmp_path / "dallinger.zip", drop=["data/recruitment.csv"], edit=older)
    before = _snapshot()
    _delete_record()

    counts = import_data(tmp_path / "dallinger.zip")

    assert counts["recruitment"] == 0 and counts["info"] == len(before["info"])
    assert _snapshot()["vector"] == before["vector"]
    assert _snapshot()["info"] == before["info"]


def test_import_refuses_a_database_that_holds_data(record, tmp_path):
    path = export_data(tmp_path / "data.zip", experiment_id="exp-1")
    before = _snapshot()

    with pytest.raises(ArchiveError, match="already holds experiment data"):
        import_data(path)

    assert _snapshot() == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"drop": ["data/vector.csv"]}, "no data/vector.csv"),
        ({"add": {"data/extra.csv": "id\n"}}, "unknown tables: data/extra.csv"),
        ({"edit": lambda name, text: text.replace("contents", "body", 1)}, r"unknown columns \['body'\]"),
        (
            {"edit": lambda name, text: text.replace(",role", "", 1) if name == "data/network.csv" else text},
            r"missing columns \['role'\]",
        ),
        (
            {"edit": lambda name, text: text.replace("hotair", "hotair,oops") if "recruit" in name else text},
            r"data/recruitment.csv line 2: 13 values for 12 columns",
        ),
        (
            {"edit": lambda name, text: text.replace('{""count"": 2}', "{not json") if "recruit" in name else text},
            "data/recruitment.csv line 2, column details",
        ),
    ],
)
def test_import_refuses_a_zip_that_does_not_match_and_changes_nothing(record, tmp_path, change, message):
    path = export_data(tmp_path / "data.zip", experiment_id="exp-1")
    _rewrite(path, tmp_path / "changed.zip", **change)
    _delete_record()

    with pytest.raises(ArchiveError, match=message):
        import_data(tmp_path / "changed.zip")

    assert all(not rows for rows in _snapshot().values())


def test_import_refuses_a_file_that_is_not_a_zip(db, tmp_path):
    (tmp_path / "data.zip").write_text("not a zip")

    with pytest.raises(ArchiveError, match="Cannot open"):
        import_data(tmp_path / "data.zip")


# The management commands -----------------------------------------------------------------


def test_export_command_writes_the_zip_and_prints_its_path(record, tmp_path):
    output = io.StringIO()

    call_command("export", "--id", "exp-7", "--output", str(tmp_path / "x.zip"), stdout=output)

    assert output.getvalue().strip() == str(tmp_path / "x.zip")
    assert _members(tmp_path / "x.zip")["experiment_id.md"].startswith(b"exp-7\n")


def test_export_command_defaults_to_the_configured_id_under_data(record, tmp_path, monkeypatch, use_experiment):
    use_experiment("bartlett1932", id="my-run-1")
    monkeypatch.chdir(tmp_path)

    call_command("export", "--no-scrub", stdout=io.StringIO())

    members = _members(tmp_path / "data" / "my-run-1-data.zip")
    assert SECRET_WORKERS[0].encode() in members["data/participant.csv"]


def test_export_command_without_an_id_uses_the_experiment_name_and_time(db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    call_command("export", stdout=io.StringIO())

    (written,) = (tmp_path / "data").iterdir()
    assert written.name.startswith("default-") and written.name.endswith("Z-data.zip")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--id", "../elsewhere"], "cannot be used as a file name; pass --output"),
        (["--id", "x", "--output", "{tmp}/a-file/x.zip"], "Export failed: "),
    ],
)
def test_export_command_reports_errors_readably(db, tmp_path, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("")

    with pytest.raises(CommandError, match=message):
        call_command("export", *(argument.format(tmp=tmp_path) for argument in arguments))


def test_load_command_loads_an_export_into_an_empty_database(record, tmp_path):
    path = export_data(tmp_path / "data.zip", experiment_id="exp-1")
    _delete_record()
    output = io.StringIO()

    call_command("load", str(path), stdout=output)

    assert "network 2" in output.getvalue() and "info 3" in output.getvalue()
    assert Participant.objects.count() == 3


def test_load_command_reports_errors_readably(record, tmp_path):
    path = export_data(tmp_path / "data.zip", experiment_id="exp-1")

    with pytest.raises(CommandError, match="Load failed: The database already holds"):
        call_command("load", str(path))
    with pytest.raises(CommandError, match="Load failed: Cannot open"):
        call_command("load", str(tmp_path / "missing.zip"))
