using System.ComponentModel.DataAnnotations;

namespace Notify.Server.Rules;

/// <summary>Section <c>Rules</c>: where the rules live and how edits to the folder are picked up.</summary>
public sealed class RulesOptions
{
    /// <summary>
    /// The folder whose <c>*.yaml</c> (and <c>*.yml</c>) files are the rules (default <c>rules</c>, relative to the
    /// content root). It is the source of truth: <c>PUT /v1/rules/{name}</c> writes into it.
    /// </summary>
    public string Directory { get; set; } = "rules";

    /// <summary>Whether file-system events of the folder are watched, so a hand edit is live within about a second (default on).</summary>
    public bool Watch { get; set; } = true;

    /// <summary>
    /// How often the whole folder is read again even without events (default 30 s; zero turns it off). File-system
    /// events do not cross every mount: an edit made by another NFS or SMB client, or on the host side of a Docker
    /// Desktop bind mount, raises none here. A rescan is a handful of small reads, and content already live is left alone.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RescanInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the watcher lets a burst of file events settle before it reads the files (default 300 ms): an
    /// editor's save is often several events (truncate, write, rename), and reading after the first would refuse a
    /// half-written file. Real (wall-clock) time, not the injected clock: it paces real disk I/O.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:30")]
    public TimeSpan WatchDebounce { get; set; } = TimeSpan.FromMilliseconds(300);
}
