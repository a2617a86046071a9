"""The synthetic population: country profiles, documented personas and the world generator.

``countries`` (profiles and limits), ``personas`` (fixed people in every world), ``names`` and
``places`` (material for generated residents), ``generator`` (rows per world and bulk insert).
"""
