"""The lesson keep model: fitted on the committed labels, and what it says about a lesson's fix."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from tests.eval_scripts import eval_script
from tests.services.learn.cases import dialogue
from vigil_mcp.services.learn.extract import Extraction, NoLesson, extract
from vigil_mcp.services.learn.keep import DIRECTION, FEATURE_NAMES, KeepModelError, keep_model, parse_keep_model
from vigil_mcp.services.learn.learner import _with_floor  # pyright: ignore[reportPrivateUsage]

PROBLEM = "how do I make gmail notifier start on boot in ubuntu?"
FIX = "add it in System > Preferences > Sessions, the command is gmail-notify"


def test_the_shipped_keep_model_is_what_the_committed_labels_fit() -> None:
    refit = eval_script("fit_lessons").fit_all()
    shipped = json.loads((resources.files("vigil_mcp") / "data" / "lesson_keep.json").read_text(encoding="utf-8"))
    assert shipped == {k: refit[k] for k in ("source", "bias", "weights", "floor")}
    assert 0.0 < refit["floor"] < 1.0


def test_the_floor_is_the_lowest_that_passes_and_keeps_passing_above_else_the_best_bound() -> None:
    fit = eval_script("fit_lessons")
    figures = fit.fit_all()["figures"]
    curve = sorted((t, s, n) for t, s, n, _ in figures["curve"])

    def passes(c: tuple[float, float, int]) -> bool:
        return c[1] >= fit.TARGET and fit.wilson_lower(c[1], c[2]) >= fit.LOWER_BOUND

    sustained = [
        c for i, c in enumerate(curve) if passes(c) and all(passes(d) for d in curve[i:] if d[2] >= fit.SUSTAIN)
    ]
    best = max(curve, key=lambda c: (fit.wilson_lower(c[1], c[2]), -c[0]))
    assert figures["target_met"] == bool(sustained)
    assert figures["out_of_fold_floor"] == (sustained[0][0] if sustained else best[0])
    lowest = min(c for c in curve if passes(c))
    assert lowest[0] <= figures["out_of_fold_floor"]  # the lowest passing floor alone can be an edge of a flat curve
    assert fit.wilson_lower(1.0, 10) == pytest.approx(0.787, abs=0.001)  # 10 of 10 kept only just passes 0.75
    assert fit.wilson_lower(0.8, 40) < fit.LOWER_BOUND  # 32 of 40 does not


def test_the_blind_first_reads_veto_a_floor_they_do_not_support() -> None:
    fit = eval_script("fit_lessons")
    model = fit.fit_all()
    figures = model["figures"]
    reads = figures["first_reads"]
    assert model["floor"] == max(figures["out_of_fold_floor"], reads["floor"])
    conf, kept = fit.first_reads()
    assert len(kept) == reads["lessons"] >= 270 and set(fit.FIRST_READS) >= {"heldout4", "heldout10"}
    above = kept[conf >= reads["floor"] - 1e-9]
    assert above.mean() >= fit.TARGET  # the first reads at or above the floor are kept 80 % of the time
    # ... and the rule is the lowest such floor that every higher floor with SUSTAIN lessons keeps up.
    lower = max((t for t, _, _ in fit.curve(conf, kept) if t < reads["floor"]), default=None)
    if lower is not None:
        assert fit.first_read_floor([c for c in fit.curve(conf, kept) if c[0] >= lower]) == reads["floor"]
    assert fit.first_read_floor([(0.5, 0.6, 100), (0.9, 0.7, 50)]) == 1.0  # none passes: learn nothing new
    assert fit.first_read_floor([(0.5, 0.7, 100), (0.7, 0.85, 60), (0.8, 0.75, 45), (0.9, 0.9, 20)]) == 0.9


def test_no_cue_weighs_against_its_meaning() -> None:
    model = keep_model()
    for name, direction in DIRECTION.items():
        assert direction * model.weights[name] >= 0.0, name
    assert set(DIRECTION) == set(FEATURE_NAMES)


def test_a_textbook_case_clears_the_shipped_floor_with_or_without_a_greeting_first() -> None:
    problem = "Our postgres PersistentVolumeClaim is stuck in Pending on k8s 1.27, how do we fix it?"
    fix = "The cluster has no default StorageClass: set storageClassName: standard in the claim and apply it again."
    for opening in ([], [("analyst", "sam", "Hi, looking at it now.")]):
        turns = [
            ("customer", "dev", problem),
            *opening,
            ("analyst", "sam", fix),
            ("customer", "dev", "That worked, thanks!"),
        ]
        found = extract(dialogue(*turns))
        assert isinstance(found, Extraction), found
        assert found.fix == fix and found.confidence >= keep_model().floor


def test_an_answer_right_after_the_question_is_learned_with_the_models_confidence() -> None:
    found = extract(dialogue(("customer", "dlo", PROBLEM), ("analyst", "light", f"dlo: {FIX}"),
                             ("customer", "dlo", "light: that worked, thanks!")), min_confidence=0.0)  # fmt: skip
    assert isinstance(found, Extraction), found
    assert found.fix == FIX and 0.0 < found.confidence < 1.0
    assert len(found.features) == len(FEATURE_NAMES)
    at_floor = extract(dialogue(("customer", "dlo", PROBLEM), ("analyst", "light", f"dlo: {FIX}"),
                                ("customer", "dlo", "light: that worked, thanks!")))  # fmt: skip
    assert isinstance(at_floor, Extraction) == (found.confidence >= keep_model().floor)


def _cues(found: Extraction | NoLesson) -> dict[str, float]:
    assert isinstance(found, Extraction), found
    return dict(zip(FEATURE_NAMES, found.features, strict=True))


def test_a_thanks_the_customer_takes_back_confirms_nothing_and_teaches_nothing() -> None:
    turns = [("customer", "dlo", PROBLEM), ("analyst", "light", f"dlo: {FIX}"), ("customer", "dlo", "light: thanks")]
    assert isinstance(extract(dialogue(*turns), min_confidence=0.0), Extraction)
    for taken_back in ("no, still nothing", "hmm, it still doesn't work after a reboot"):
        found = extract(dialogue(*turns, ("customer", "dlo", taken_back)), min_confidence=0.0)
        assert isinstance(found, NoLesson) and "no customer confirmation" in found.reason, (taken_back, found)
    again = extract(
        dialogue(*turns, ("customer", "dlo", "no, still nothing"),
                 ("analyst", "light", "dlo: then run gmail-notify once from a terminal, it adds itself to the session"),
                 ("customer", "dlo", "light: that worked, thanks!")),
        min_confidence=0.0,
    )  # fmt: skip
    assert isinstance(again, Extraction) and again.fix.startswith("then run gmail-notify"), again


def test_a_weaker_objection_after_the_thanks_is_a_cue_not_a_rule() -> None:
    turns = [("customer", "dlo", PROBLEM), ("analyst", "light", f"dlo: {FIX}"), ("customer", "dlo", "light: thanks")]
    held = extract(dialogue(*turns), min_confidence=0.0)
    objected = extract(dialogue(*turns, ("customer", "dlo", "hmm, there is no tray icon for it")), min_confidence=0.0)
    assert _cues(held)["objected_after"] == 0.0 and _cues(objected)["objected_after"] == 1.0


def test_a_fix_the_customer_replaced_with_their_own_is_marked_self_fixed() -> None:
    problem = "why does find -exec cat streamkey >> {} \\; not append to every .strm file?"
    turns = [("customer", "tam", problem), ("analyst", "mon", "tam: replace cat with grep and omit the >>")]
    own_fix = "mon: thanks, this worked for me: -exec sh -c 'cat streamkey >> {}' \\;"
    own = extract(dialogue(*turns, ("customer", "tam", own_fix)), min_confidence=0.0)
    applied = extract(dialogue(*turns, ("customer", "tam", "mon: I replaced it with grep, works now, thanks")),
                      min_confidence=0.0)  # fmt: skip
    assert _cues(own)["self_fixed"] == 1.0 and _cues(applied)["self_fixed"] == 0.0
    assert isinstance(own, Extraction) and isinstance(applied, Extraction) and own.confidence < applied.confidence


def test_a_problem_that_leans_on_an_earlier_turn_or_opens_mid_thought_continues_it() -> None:
    fix = "click System > Administration > Login Window > Security and enable Automatic login"
    for problem, continues in [("can i change this behaviour?", 1.0),
                               ("whereas this login screen shows up every boot", 1.0),
                               ("that was what happened when i logged in to ubuntu after the upgrade", 1.0),
                               ("thats sad :( but ubuntu still shows the login screen every boot", 1.0),
                               ("how do I log in to ubuntu automatically when the pc starts?", 0.0)]:  # fmt: skip
        found = extract(dialogue(("customer", "fay", problem), ("analyst", "bo", f"fay: {fix}"),
                                 ("customer", "fay", "bo: thanks")), min_confidence=0.0)  # fmt: skip
        assert _cues(found)["problem_continues"] == continues, problem


def test_a_fix_that_sends_the_customer_to_support_or_an_issue_tracker_is_less_confident_than_a_step() -> None:
    problem = "how do I stop the payment sheet from being dismissed when the customer swipes down?"
    step = "set isModalInPresentation = true on the view controller that presents the sheet"
    referral = "that looks like a bug in the sdk, please open an issue on the issue tracker of the sdk repository"
    channel = "14.10 is the next development release. Support in #ubuntu+1, see https://wiki.ubuntu.com/UtopicUnicorn"
    found = {
        fix: extract(
            dialogue(
                ("customer", "mat", problem), ("analyst", "karl", f"mat: {fix}"), ("customer", "mat", "karl: thanks")
            ),
            min_confidence=0.0,
        )
        for fix in (step, referral, channel)
    }
    assert _cues(found[referral])["refers"] == 1.0 and _cues(found[step])["refers"] == 0.0
    assert _cues(found[channel])["refers"] == 1.0
    assert isinstance(found[step], Extraction) and isinstance(found[referral], Extraction)
    assert found[referral].confidence < found[step].confidence


def test_a_fix_the_customer_objected_to_after_side_questions_and_other_answers_is_not_learned() -> None:
    clean = extract(dialogue(("customer", "dlo", PROBLEM), ("analyst", "light", f"dlo: {FIX}"),
                             ("customer", "dlo", "light: thanks!")), min_confidence=0.0)  # fmt: skip
    turns = dialogue(
        ("customer", "dlo", PROBLEM),
        ("analyst", "koshari", "dlo: add it to your sessions, System > Preferences > Sessions"),
        ("customer", "dlo", "where do I find the startup applications list in xfce?"),
        ("analyst", "ozzy", "dlo: xfce has its own settings manager, look under Session and Startup"),
        ("customer", "dlo", "what command do I type for the notifier in that dialog?"),
        ("analyst", "light", "dlo: the command that you would type to start it, see the main menu editor"),
        ("customer", "dlo", "hmm, there is no such entry in that dialog"),  # "still nothing" would take it back
        ("customer", "dlo", "light: thanks"),
    )
    late = extract(turns)
    assert isinstance(clean, Extraction), clean
    assert isinstance(late, NoLesson) and "keep model" in late.reason, late
    scored = extract(turns, min_confidence=0.0)
    assert isinstance(scored, Extraction) and scored.confidence < clean.confidence
    # A thanks right after the helper gives up ("not sure, maybe ask in #xubuntu") confirms nothing at all.
    tail = dialogue(("analyst", "light", "dlo: not sure, maybe ask in #xubuntu"), ("customer", "dlo", "light: thanks"))
    gave_up = extract([*turns[:-1], *tail], min_confidence=0.0)
    assert isinstance(gave_up, NoLesson) and "no customer confirmation" in gave_up.reason, gave_up


def test_a_clarifying_reply_is_never_the_problem_even_when_nothing_else_comes_before_the_fix() -> None:
    found = extract(dialogue(("customer", "wed", "u mean it's not an active stripe account?"),
                             ("analyst", "tim", "wed: there are two modes, test mode and live mode, switch with the "
                              "toggle on the left of the dashboard"),
                             ("customer", "wed", "tim: that worked, thanks")))  # fmt: skip
    assert isinstance(found, NoLesson)


@pytest.mark.parametrize(
    ("data", "says"),
    [([], "not a JSON object"), ({"bias": 0, "weights": {"worked": 1}, "floor": 0.5}, "weights must be exactly"),
     ({"bias": 0, "weights": dict.fromkeys(FEATURE_NAMES, 0.0), "floor": 1.5}, "floor"), ({"bias": 0}, "needs")],
)  # fmt: skip
def test_a_broken_keep_model_file_is_refused_with_what_is_wrong(data: object, says: str) -> None:
    with pytest.raises(KeepModelError, match=says):
        parse_keep_model(data, "lesson_keep.json")


def test_a_lesson_below_the_fitted_floor_is_learned_when_the_settings_lower_it() -> None:
    late = dialogue(("customer", "dlo", "can i change this behaviour?"), ("analyst", "light", f"dlo: {FIX}"),
                    ("customer", "dlo", "hmm where is that"), ("customer", "dlo", "no, there is no Sessions"),
                    ("customer", "dlo", "light: thanks"))  # fmt: skip
    scored = extract(late, min_confidence=0.0)
    assert isinstance(scored, Extraction) and scored.confidence < keep_model().floor
    assert isinstance(extract(late), NoLesson)
    lowered = _with_floor(scored.confidence)
    assert lowered(late) == scored
