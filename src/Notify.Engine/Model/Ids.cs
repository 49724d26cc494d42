namespace Notify.Engine.Model;

/// <summary>Ids that sort by creation time (UUID v7) with a readable prefix: <c>ntf_…</c>, <c>dlv_…</c>, <c>dev_…</c>.</summary>
public static class Ids
{
    public static string New(string prefix, DateTimeOffset now) => prefix + "_" + Guid.CreateVersion7(now).ToString("N");
}
