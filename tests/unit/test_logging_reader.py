"""Reading the logs: filters over whole files, following across rotation, export."""

from __future__ import annotations

import json
import os
from pathlib import Path

from levqor_desktop.core.logs import LogFilter, LogFollower, export, parse_line, search, tail


def line(n: int, level: str = "INFO", logger: str = "levqor_desktop.x", **context: object) -> str:
    data: dict[str, object] = {
        "timestamp": f"2026-11-28T10:00:{n % 60:02d}.{n:03d}Z",
        "level": level,
        "logger": logger,
        "message": f"message {n}",
    }
    if context:
        data["context"] = context
    return json.dumps(data) + "\n"


def write(path: Path, *lines: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.writelines(lines)


def test_parse_keeps_non_json_lines() -> None:
    entry = parse_line("Traceback (most recent call last):\n", "api")
    assert entry.message == "Traceback (most recent call last):" and entry.level == ""
    ok = parse_line(line(1, job_id=9), "queue")
    assert (ok.level, ok.job_id, ok.source) == ("INFO", "9", "queue")


def test_search_filters_over_the_whole_file(tmp_path: Path) -> None:
    api, queue = tmp_path / "api.log", tmp_path / "queue.log"
    write(api, *(line(n, "INFO") for n in range(5000)))
    write(api, line(5000, "ERROR", logger="levqor_desktop.core.db"))
    write(queue, line(1, "WARNING", logger="levqor.queue", job_id=77))
    write(queue, line(2, "INFO", logger="levqor.queue", job_id=78))
    files = [("api", api), ("queue", queue)]
    assert search(files, LogFilter(level="warning")).matched == 2
    errors = search(files, LogFilter(level="ERROR"))
    assert [e.message for e in errors.entries] == ["message 5000"]
    assert errors.scanned == 5003
    assert [e.job_id for e in search(files, LogFilter(job_id="#77")).entries] == ["77"]
    by_logger = search(files, LogFilter(logger="levqor_desktop.core"))
    assert [e.logger for e in by_logger.entries] == ["levqor_desktop.core.db"]
    assert search(files, LogFilter(logger="levqor_desktop.co")).matched == 0
    text = search(files, LogFilter(text="MESSAGE 12"), limit=3)
    assert text.matched == 111  # 12, 120-129, 1200-1299
    assert text.truncated and len(text.entries) == 3
    only_queue = search(files, LogFilter(sources=frozenset({"queue"})))
    assert {e.source for e in only_queue.entries} == {"queue"}


def test_tail_reads_the_last_lines(tmp_path: Path) -> None:
    api = tmp_path / "api.log"
    write(api, *(line(n) for n in range(100)))
    assert [e.message for e in tail(api, "api", 2)] == ["message 98", "message 99"]
    assert tail(tmp_path / "missing.log", "api", 5) == []


def test_follower_reads_new_lines_and_partial_lines(tmp_path: Path) -> None:
    api = tmp_path / "api.log"
    write(api, line(1))
    follower = LogFollower(api, "api")
    assert follower.poll() == []
    data = line(2)
    write(api, data[:10])
    assert follower.poll() == []
    write(api, data[10:], line(3))
    assert [e.message for e in follower.poll()] == ["message 2", "message 3"]
    follower.close()


def test_follower_survives_rotation_and_truncation(tmp_path: Path) -> None:
    api = tmp_path / "api.log"
    write(api, line(1))
    follower = LogFollower(api, "api")
    write(api, line(2))
    os.rename(api, tmp_path / "api.log.2026-11-27")  # what the midnight rotation does
    assert [e.message for e in follower.poll()] == ["message 2"]
    write(api, line(3))
    assert [e.message for e in follower.poll()] == ["message 3"]
    write(tmp_path / "api.log.2026-11-27", line(99))  # an old file is not followed
    write(api, line(4))
    assert [e.message for e in follower.poll()] == ["message 4"]
    api.write_text("")
    write(api, line(5))
    assert [e.message for e in follower.poll()] == ["message 5"]
    follower.close()


def test_follower_waits_for_a_file_that_does_not_exist_yet(tmp_path: Path) -> None:
    follower = LogFollower(tmp_path / "queue.log", "queue")
    assert follower.poll() == []
    write(tmp_path / "queue.log", line(1))
    assert [e.message for e in follower.poll()] == ["message 1"]
    follower.close()


def test_export_writes_the_original_lines(tmp_path: Path) -> None:
    entries = [parse_line(line(n), "api") for n in range(3)]
    out = tmp_path / "export.jsonl"
    assert export(entries, out) == 3
    assert out.read_text() == "".join(line(n) for n in range(3))


def test_levqor_logs_command(tmp_path: Path, monkeypatch, capsys) -> None:
    from levqor_desktop.cli.main import main

    monkeypatch.setenv("LEVQOR_HOME", str(tmp_path))
    logs = tmp_path / "logs"
    logs.mkdir()
    write(logs / "api.log", line(1), line(2, "ERROR"))
    write(logs / "queue.log", line(3, "ERROR", logger="levqor.queue", job_id=5))
    assert main(["logs", "--level", "error", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "ERROR    queue levqor.queue: message 3  job_id=5" in out
    assert "(2 matches; the newest 1 shown: --limit)" in out
    assert main(["logs", "--job", "5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["context"] == {"job_id": 5}
