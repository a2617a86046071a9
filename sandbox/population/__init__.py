"""The synthetic population: country profiles, documented personas and the world generator.

``countries`` (profiles and limits), ``personas`` (fixed people in every world), ``names`` and
``places`` (material for generated residents), ``identifiers`` (ID numbers, PINs, account
numbers), ``generator`` (a world's rows, chunk by chunk, and their bulk insert).
"""
