"""The annotator's loop: the queue and the next statement, the annotation form, saving an
annotation (and the statement's automatic gold label after it), the annotation pages."""
