"""Rendering SatuPintu's documents as PDF, one module per document on shared building blocks (documents.layout).

Rendering knows nothing about storage, numbering or signing: the activities (activities/documents.py,
activities/counter_documents.py) render here, sign with `signing` and keep the result."""
