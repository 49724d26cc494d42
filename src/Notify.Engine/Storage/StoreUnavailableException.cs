namespace Notify.Engine.Storage;

/// <summary>
/// The store cannot be reached right now (a database server down, unreachable, or without a primary). Requests
/// answer 503 <c>store-unavailable</c> instead of waiting; the next call tries again, so the process recovers
/// by itself when the store comes back. The message names the store and its address, never its credentials.
/// </summary>
public sealed class StoreUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);
