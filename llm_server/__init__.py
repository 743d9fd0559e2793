"""How the language model is served: one OpenAI-compatible API (vLLM on GPU, llama.cpp on CPU).

Not built yet: the grounded-answers issue adds the engines and the client. Search works without it.
"""
