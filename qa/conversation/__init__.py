"""Conversations: their limits, the last message made a standalone question, and follow-ups
answered from the documents the conversation has cited."""
