"""The bias label vocabularies: label groups and labels, loaded, edited by leads, and retired
(never deleted) once annotations or gold labels use them."""
