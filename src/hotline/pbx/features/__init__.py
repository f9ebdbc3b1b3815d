"""Call-control features, each a module on top of the call core: it registers its kinds of
destination and feature codes with the dialplan, its route handler, and the call moments it
follows, and keeps its own per-call state. ``hotline.pbx.composition`` builds them."""
