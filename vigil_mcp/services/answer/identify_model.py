"""Weights of the request model in identify.py. Written by eval/fit_identify.py; do not edit by hand.

The cues are identify_cues.FEATURES. Fitted on eval/labels/identify/fit.jsonl (673 turns the rules leave
to the model, of 747):
L2 strength 1.0 and threshold chosen by 5-fold cross-validation over dialogues
(threshold: best out-of-fold F0.5 of `request`). Rerun the script after changing the features.
"""

INTERCEPT = -2.9124
WEIGHTS: tuple[float, ...] = (
    2.6818,  # question_mark
    1.4243,  # question_word
    1.1660,  # auxiliary_start
    2.0316,  # asking
    0.2174,  # wanting
    1.7887,  # change
    0.2228,  # failure
    0.7414,  # inability
    -0.2933,  # negation
    0.5759,  # alert
    1.0770,  # error_line
    0.4146,  # since
    -0.3013,  # answer_start
    -0.8648,  # feedback
    0.0829,  # continuation
    -0.6161,  # code
    -0.3174,  # log_line
    -0.8600,  # one_or_two_words
    1.6167,  # terms
    -0.5277,  # addressed
    -0.9272,  # after_question
    0.4592,  # first_turn
    0.0830,  # opening
    2.3778,  # opening_problem
    0.9584,  # later_problem
)
THRESHOLD = 0.645
