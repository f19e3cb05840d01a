"""A question, top-down: follow-up -> plan -> component -> verify -> (optional) prose.

`follow_up` rewrites "And X?" against the conversation; `plan` reads the question once into what it asks
(`Plan`); `components` holds one answerer per plan kind, which cite passages through `compose` and ask
`answerable` whether the passages answer at all; `verify` rejects any answer whose citations, excerpts,
quotes or speaker spans are not exact slices of their articles; `prose` lets a language model rewrite a
verified answer, sentence by checked sentence. `answer` defines what an answer is.
"""
