"""Learned components (scikit-learn), trained from the train split in eval/datasets/train/.

Each model is small, trained in seconds by `pacte index` (or `pacte train`) and stored in the index folder with the
hash of the data it was trained on: a changed training file or corpus makes it stale and it is retrained.
"""
