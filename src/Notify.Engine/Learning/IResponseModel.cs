using Notify.Engine.Decisions;
using Notify.Engine.Model;

namespace Notify.Engine.Learning;

/// <summary>A trained model: the chance (0..1) that the user responds to a delivery within the step's wait.
/// Implementations must be thread-safe and fast (the decision calls it once per candidate device).</summary>
public interface IResponseModel
{
    double Score(in ResponseFeatures features);

    /// <summary>Where the model came from (file and training date), for logs and the trace.</summary>
    string Description { get; }
}

/// <summary>
/// The response model currently in use, swapped atomically when a new model file is loaded; none by default, and
/// then the ranking is the documented heuristic (<see cref="DeviceRanking"/>). One instance per process, shared by
/// the delivery workflow (which asks it for a scorer per decision) and the model loader (which sets it).
/// </summary>
public sealed class ResponseScoring
{
    private volatile IResponseModel? _model;

    public ResponseScoring(IResponseModel? model = null) => _model = model;

    /// <summary>The loaded model, or null (heuristic ranking).</summary>
    public IResponseModel? Model
    {
        get => _model;
        set => _model = value;
    }

    /// <summary>A scorer for one decision (<see cref="DecisionInput.ResponseScoreFor"/>), or null without a model.
    /// Scores are cached per step, channel and device for the decision, so ranking and trace agree.</summary>
    public Func<int, Channel, Func<DeviceSnapshot, double?>>? For(Notification n, User user, DateTimeOffset now)
    {
        var model = _model;
        if (model is null) return null;
        var local = ResponseFeatures.LocalTime(user, now);
        var cache = new Dictionary<(int, Channel, string), double>();
        return (step, channel) => device =>
        {
            var key = (step, channel, device.Device.Id);
            if (!cache.TryGetValue(key, out var score))
                cache[key] = score = model.Score(ResponseFeatures.From(n, local, device, channel, step, now));
            return score;
        };
    }
}
