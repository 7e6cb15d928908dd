"""Weights of the request model in identify.py. Written by eval/fit_identify.py; do not edit by hand.

The cues are identify_cues.FEATURES. Fitted on eval/labels/identify/fit.jsonl (673 turns the rules leave
to the model, of 747):
L2 strength 1.0 and threshold chosen by 5-fold cross-validation over dialogues
(threshold: best out-of-fold F0.5 of `request`). Rerun the script after changing the features.
"""

INTERCEPT = -2.8730
WEIGHTS: tuple[float, ...] = (
    2.7037,  # question_mark
    1.4225,  # question_word
    1.1472,  # auxiliary_start
    2.0275,  # asking
    0.1987,  # wanting
    1.7912,  # change
    0.1653,  # failure
    0.7372,  # inability
    -0.2590,  # negation
    0.7417,  # alert
    1.0962,  # error_line
    0.3919,  # since
    -0.3078,  # answer_start
    -0.8538,  # feedback
    0.0830,  # continuation
    -0.6116,  # code
    -0.3185,  # log_line
    -0.8804,  # one_or_two_words
    1.5733,  # terms
    -0.5318,  # addressed
    -0.9373,  # after_question
    0.4494,  # first_turn
    0.0575,  # opening
    2.4277,  # opening_problem
    0.9556,  # later_problem
)
THRESHOLD = 0.638
