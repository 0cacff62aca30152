"""explainer: a static site generator for annotated conflict explainers."""

__version__ = "0.1.0"
