"""The Django-free ML core: image model, word space, joint space, ANN index, class names.

Nothing in this package imports Django or the rest of searchsite; search's services join it to the database
(a test keeps it that way).
"""
