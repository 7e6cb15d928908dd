"""An alert report gets the runbook's steps, not the runbook's description of the alert.

The runbooks are real: openshift/runbooks (Apache-2.0) and the GitLab.com runbooks (MIT), as in
../shared/data/runbooks.jsonl.
"""

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from vigil_mcp.app import App, build_app
from vigil_mcp.config import Settings
from vigil_mcp.services.answer.compose import compose
from vigil_mcp.services.answer.engine.base import Evidence
from vigil_mcp.services.answer.runbook_steps import asks_what_it_describes, describes, steps_for, steps_in
from vigil_mcp.services.knowledge.passages import split_passages
from vigil_mcp.services.tickets import Incoming

ODF = """# ODFDiskUtilizationHigh

## Meaning

A Ceph OSD disk is >90% busy (as measured by %util from iostat
semantics via node_disk_io_time_seconds_total), indicating heavy I/O load.

## Impact

* Increased I/O latency for block/object/file clients.
* Reduced cluster throughput during peak workloads.

## Diagnosis

1. Identify node and device from alert labels.
2. Check disk model and type:
```bash
oc debug node/<node>
lsblk -d -o NAME,ROTA,MODEL
```
3. Monitor real-time I/O:
```bash
iostat -x 2 5
```

## Mitigation

* Add more disks to the cluster enhance the performance.
* Move the workloads to another storage system.
"""

FILESD = """# Prometheus FileSD read errors

## Symptoms

The `rate(prometheus_sd_file_read_errors_total[5m])` expression is showing
a higher error rate and new targets are not picked up from the SD files.

## Possible checks

1. Login to the server and study the Prometheus logs.
1. Look for lines containing "Error reading file".

## Resolution

If the file couldn't be read because it is a malformed target file, fix the file.
"""

MEANING = split_passages(ODF)[0].text  # "A Ceph OSD disk is >90% busy ..."


def test_an_alert_report_answered_from_the_meaning_gets_the_diagnosis_steps() -> None:
    steps = steps_for("ODFDiskUtilizationHigh on one of the OSD disks, it's sitting at 95% util",
                      "ODFDiskUtilizationHigh", "", MEANING, ODF)  # fmt: skip
    assert steps is not None and steps.heading == "Diagnosis"
    assert steps.text.startswith("1. Identify node and device from alert labels.")
    assert "lsblk -d -o NAME,ROTA,MODEL" in steps.text and "90% busy" not in steps.text
    assert "Add more disks" not in steps.text  # one part: the first that says what to do


def test_a_symptom_the_customer_already_gave_gives_way_to_the_checks() -> None:
    symptom = split_passages(FILESD)[0].text
    steps = steps_for("prometheus isn't picking up new targets and prometheus_sd_file_read_errors_total keeps going up",
                      "Prometheus FileSD read errors", "", symptom, FILESD)  # fmt: skip
    assert steps is not None and steps.heading == "Possible checks"
    assert '"Error reading file"' in steps.text


def test_asking_what_an_alert_means_keeps_the_meaning() -> None:
    assert steps_for("what does ODFDiskUtilizationHigh mean?", "ODFDiskUtilizationHigh", "", MEANING, ODF) is None
    impact = next(p for p in split_passages(ODF) if p.heading == "Impact")
    assert asks_what_it_describes("ODFDiskUtilizationHigh firing, is it safe to ignore?", "Impact")
    assert steps_for("ODFDiskUtilizationHigh firing, how serious is it for clients?",
                     "ODFDiskUtilizationHigh", "", impact.text, ODF) is None  # fmt: skip
    assert asks_what_it_describes("what is ODFDiskUtilizationHigh?", "Meaning")
    assert not asks_what_it_describes("ODFDiskUtilizationHigh firing, what is the fix?", "Meaning")
    assert not asks_what_it_describes("what's wrong with the OSD disks, ODFDiskUtilizationHigh", "Meaning")
    # the Meaning answers what it means, not whether it can be ignored
    assert not asks_what_it_describes("ODFDiskUtilizationHigh firing, is it safe to ignore?", "Meaning")


def test_a_passage_that_already_says_what_to_do_is_kept() -> None:
    step = next(p for p in split_passages(ODF) if p.heading == "Mitigation")
    assert steps_for("ODFDiskUtilizationHigh firing", "ODFDiskUtilizationHigh", "", step.text, ODF) is None


def test_a_described_section_item_takes_the_steps_from_its_sibling_section() -> None:
    meaning = "A Ceph OSD disk is >90% busy, indicating heavy I/O load."
    siblings = [("Impact", "* Increased I/O latency."), ("Diagnosis", "1. Identify node and device from alert labels.")]
    steps = steps_for("ODFDiskUtilizationHigh firing on osd-3", "ODFDiskUtilizationHigh", "Meaning", meaning,
                      meaning, lambda: siblings)  # fmt: skip
    assert steps is not None and steps.heading == "Diagnosis" and "Identify node" in steps.text


def test_no_part_that_says_what_to_do_keeps_the_passage() -> None:
    body = "# SomeAlert\n\n## Meaning\n\nThe widget queue is longer than it should be for ten minutes.\n"
    text = split_passages(body)[0].text
    assert steps_in(body) is None
    assert steps_for("SomeAlert is firing", "SomeAlert", "", text, body) is None


def test_what_counts_as_describing() -> None:
    assert (
        describes("Meaning", "X")
        and describes("Symptoms", "X")
        and describes("ODFDiskUtilizationHigh", "ODFDiskUtilizationHigh")
    )
    assert not describes("Diagnosis", "X") and not describes("How do I enable under attack mode?", "X")


def test_an_alert_pasted_into_a_ticket_gets_the_runbooks_diagnosis(
    settings: Settings, runbooks_store: Path, tmp_path: Path
) -> None:
    """Through the ticket service, over the bundled real runbooks plus ODFDiskUtilizationHigh: the reply
    says what to check, not what the alert means. (What the reply is made of is the subject here, not
    whether the judge speaks: its threshold is set low.)"""
    shutil.copyfile(runbooks_store, settings.store)
    app = build_app(replace(settings, embedding_model="none", suggest_threshold=0.1))
    try:
        _odf_report(app, tmp_path)
    finally:
        app.close()


def _odf_report(runbooks_app: App, tmp_path: Path) -> None:
    odf = {"id": "openshift+runbooks/alerts/openshift-container-storage-operator/ODFDiskUtilizationHigh.md",
           "title": "ODFDiskUtilizationHigh", "text": ODF}  # fmt: skip
    path = tmp_path / "odf.jsonl"
    path.write_text(json.dumps(odf) + "\n", encoding="utf-8")
    runbooks_app.knowledge.add_paths([path])
    at = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    report = "ODFDiskUtilizationHigh on one of the OSD disks, it's sitting at 95% util"
    result = runbooks_app.tickets.observe(Incoming("T", "customer", "oncall", report, at, "m1"))
    assert result.suggestion is not None, result.decision
    text = result.suggestion.text
    assert "Identify node and device from alert labels" in text and "lsblk" in text
    assert "indicating heavy I/O load" not in text  # not the alert's meaning restated
    assert "ODFDiskUtilizationHigh › Diagnosis" in text.rpartition("Source: ")[2]


MIRROR = """# OdfMirrorDaemonStatus

## Meaning

Mirror daemon is in unhealthy status for more than 1 minute. Mirroring on this
cluster is not working as expected.

## Diagnosis

The RBD mirror pod in the Openshift storage namespace is in error state.

## Mitigation

Review [RBD mirrorpod](helpers/podDebug.md) to find out more information about
the problem.
"""


def test_a_diagnosis_that_only_states_a_fact_gives_way_to_the_mitigation() -> None:
    meaning = split_passages(MIRROR)[0].text
    steps = steps_for("OdfMirrorDaemonStatus critical, DR mirroring looks stopped", "OdfMirrorDaemonStatus", "",
                      meaning, MIRROR)  # fmt: skip
    assert steps is not None and steps.heading == "Mitigation" and steps.text.startswith("Review [RBD mirrorpod]")


ALERTMANAGER = """# AlertmanagerFailedToSendAlerts

## Meaning

The alert `AlertmanagerFailedToSendAlerts` is triggered when any of the
Alertmanager instances in the cluster monitoring stack has repeatedly
failed to send notifications to an integration.

## Diagnosis

Review the logs for the pod in the namespace indicated in the alert message.

For example, the following sample alert message refers to the
`alertmanager-main-1` pod in the `openshift-monitoring` namespace:

> Alertmanager openshift-monitoring/alertmanager-main-1 failed to send 75%
> of notifications to webhook.

```console
$ oc -n openshift-monitoring logs alertmanager-main-1
```
"""


def test_a_sample_alert_message_inside_the_diagnosis_gives_way_to_the_diagnosis_from_its_start() -> None:
    sample = next(p for p in split_passages(ALERTMANAGER) if p.text.startswith("Alertmanager openshift-monitoring"))
    steps = steps_for("AlertmanagerFailedToSendAlerts keeps firing, notifications to our webhook are not going out",
                      "AlertmanagerFailedToSendAlerts", "", sample.text, ALERTMANAGER)  # fmt: skip
    assert steps is not None and steps.heading == "Diagnosis"
    assert steps.text.startswith("Review the logs for the pod") and "logs alertmanager-main-1" in steps.text
    first = split_passages(ALERTMANAGER)[1]  # "Review the logs ...": already the start, kept
    assert steps_for("AlertmanagerFailedToSendAlerts firing", "AlertmanagerFailedToSendAlerts", "", first.text,
                     ALERTMANAGER) is None  # fmt: skip


def test_one_numbered_step_is_answered_with_its_procedure_from_the_first_step() -> None:
    step = next(p for p in split_passages(ODF) if p.text.startswith("3. Monitor real-time I/O"))
    steps = steps_for("ODFDiskUtilizationHigh on osd-2, how do I watch the disk io", "ODFDiskUtilizationHigh",
                      "", step.text, ODF)  # fmt: skip
    assert steps is not None and steps.heading == "Diagnosis"
    assert steps.text.startswith("1. Identify node and device") and "iostat -x 2 5" in steps.text
    first = next(p for p in split_passages(ODF) if p.text.startswith("1. Identify node"))  # and the steps after it
    after_first = steps_for("ODFDiskUtilizationHigh firing", "ODFDiskUtilizationHigh", "", first.text, ODF)
    assert after_first is not None and "lsblk" in after_first.text


def test_a_step_too_far_down_its_procedure_for_one_reply_is_no_reply_at_all() -> None:
    long_first = "1. Start the service if it is stopped:\n\n```shell\n" + "systemctl start chronyd\n" * 40 + "```\n"
    body = f"# NodeClock\n\n## Mitigation\n\n{long_first}\n2. Verify that the service is running:\n"
    second = next(p for p in split_passages(body) if p.text.startswith("2. Verify"))
    assert steps_for("NodeClock firing on master-1", "NodeClock", "", second.text, body) is None  # not replaced
    alone = Evidence(id="kb-9", kind="runbook", title="NodeClock", section="Mitigation", text=second.text,
                     score=0.8, source="runbooks/NodeClock.md")  # fmt: skip
    assert compose(alone) == ""  # and on its own it misses step 1: the offline engine says nothing from it
