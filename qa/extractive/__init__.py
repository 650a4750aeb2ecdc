"""The extractive answerer: evidence sentences, typed candidates, fitted scoring, the decision."""

from qa.extractive.answerer import PASSAGE, SPAN, Decision, Deliberation, ExtractiveAnswerer
from qa.extractive.model import Weights, load_weights

__all__ = ["PASSAGE", "SPAN", "Decision", "Deliberation", "ExtractiveAnswerer", "Weights", "load_weights"]
