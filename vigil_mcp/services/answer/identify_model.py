"""Weights of the request model in identify.py. Written by eval/fit_identify.py; do not edit by hand.

Fitted on eval/labels/identify/fit.jsonl (464 turns the rules leave to the model, of 515):
L2 strength 1.0 and threshold chosen by 5-fold cross-validation over dialogues
(threshold: best out-of-fold F0.5 of `request`). Rerun the script after changing the features.
"""

INTERCEPT = -2.5800
WEIGHTS: tuple[float, ...] = (
    2.5977,  # question_mark
    1.1346,  # question_word
    1.0904,  # auxiliary_start
    2.3570,  # asking
    1.3886,  # wanting
    0.9580,  # failure
    0.0217,  # negation
    1.8490,  # alert
    1.1141,  # error_line
    0.6027,  # since
    -0.6382,  # answer_start
    -1.2176,  # feedback
    0.7194,  # system_report
    0.4317,  # continuation
    -0.4037,  # code
    -0.0692,  # log_line
    -1.1943,  # one_or_two_words
    1.4899,  # terms
    -0.4773,  # addressed
    -1.1978,  # after_question
)
THRESHOLD = 0.532
