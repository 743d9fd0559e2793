"""How the language model is served (vLLM on GPU, llama.cpp on CPU, or an external URL), always
behind one OpenAI-compatible API, and the one client the bot uses."""
