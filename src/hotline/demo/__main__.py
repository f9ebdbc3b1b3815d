"""``python -m hotline.demo``: demo traffic against a demo server running on its own."""

from hotline.demo.traffic import main

main()
