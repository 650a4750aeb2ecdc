"""Generative answers: a chat model writes from the retrieved passages (prompts in ``prompts/``),
and every claim it makes is checked against the passages it cites before it is shown."""
