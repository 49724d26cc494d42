using System.ComponentModel.DataAnnotations;

namespace Notify.Storage.MongoDb;

/// <summary>The MongoDB store (section <c>Storage:MongoDB</c>, used when <c>Storage:Provider</c> is <c>mongodb</c>).</summary>
/// <remarks>The deployment must be a replica set (a single-node one will do): every commit is a multi-document
/// transaction with majority write and read concern, which a standalone server refuses.</remarks>
public sealed class MongoOptions
{
    /// <summary>A standard MongoDB connection string (no default: it names your replica set,
    /// e.g. <c>mongodb://db1,db2,db3/?replicaSet=rs0</c>). Credentials may be in it; they never appear in messages.</summary>
    [Required]
    public string ConnectionString { get; set; } = "";

    /// <summary>The database holding Notify's collections (default <c>notify</c>).</summary>
    [Required]
    public string Database { get; set; } = "notify";

    /// <summary>How long an operation waits for a usable server before it fails (default 5 seconds, the driver's is 30):
    /// a request must get a 503 problem quickly when MongoDB is unreachable, not hang until the client gives up.</summary>
    public TimeSpan ServerSelectionTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a used idempotency key is kept (default 24 hours) before the TTL index removes it. Keep it at
    /// least <c>Delivery:IdempotencyWindow</c>: a key removed earlier no longer detects a duplicate.</summary>
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(24);
}
