"""Autograder and release tooling for the convolution / normalization assignment."""
