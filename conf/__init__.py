"""genclust's Hydra config tree; a package only so that it ships inside wheels as genclust.conf."""
