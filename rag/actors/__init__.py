"""Actors: who the articles are about, found in the articles themselves and grouped across the corpus."""
