"""The booking import: a travel agency's export filed as draft trips for the right travellers."""
