"""Tests of hotline.media."""
