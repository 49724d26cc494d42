using System.ComponentModel.DataAnnotations;

namespace Notify.Learning;

/// <summary>The learned response model (section <c>Learning</c>).</summary>
public sealed class LearningOptions
{
    /// <summary>The model file (default <c>models/response.zip</c>, relative to the content root), written by the
    /// <c>train</c> command. Missing is fine: the ranking is then the heuristic one. It is reloaded when it changes.</summary>
    [Required]
    public string ModelPath { get; set; } = "models/response.zip";

    /// <summary>How long the file must be quiet before it is (re)loaded (default 500 ms): a copy or a save raises several
    /// change events, and a half-written file must not be read.</summary>
    public TimeSpan ReloadDelay { get; set; } = TimeSpan.FromMilliseconds(500);
}
