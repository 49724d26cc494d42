using System.ComponentModel.DataAnnotations;

namespace Notify.Storage.Sqlite;

/// <summary>The embedded store (section <c>Storage:Sqlite</c>).</summary>
public sealed class SqliteOptions
{
    /// <summary>The database file (default <c>data/notify.db</c>, relative to the working folder); its folder is created.</summary>
    [Required]
    public string Path { get; set; } = "data/notify.db";

    /// <summary>
    /// <c>Normal</c> (default) survives a killed process (<c>kill -9</c>) without losing a commit: in WAL mode a
    /// committed transaction is in the OS before the call returns. <c>Full</c> also survives power loss, at the
    /// cost of an fsync per batch.
    /// </summary>
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Normal;

    /// <summary>Most writes committed in one transaction (default 512). Writes queue while a batch commits,
    /// so under load many requests share one commit instead of each waiting for its own.</summary>
    [Range(1, 100_000)]
    public int MaxBatch { get; set; } = 512;
}

public enum SqliteSynchronous { Normal, Full }
