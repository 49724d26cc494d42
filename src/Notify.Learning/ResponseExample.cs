using Microsoft.ML.Data;
using Notify.Engine.Learning;

namespace Notify.Learning;

/// <summary>One row as ML.NET sees it: the <see cref="ResponseFeatures"/> as columns, the label, and the user (only for
/// splitting by user; never a feature). Mutable so a scorer can reuse one instance per thread.</summary>
public sealed class ResponseExample
{
    public string Platform { get; set; } = "";
    public string Presence { get; set; } = "";
    public float Online { get; set; }
    public float Foreground { get; set; }
    /// <summary>log(1 + seconds since active); -1 when never active.</summary>
    public float LogSecondsSinceActive { get; set; }
    public float BatteryLevel { get; set; }
    public float Charging { get; set; }
    public float LowBattery { get; set; }
    public string Connectivity { get; set; } = "";
    public float Metered { get; set; }
    public float LocalHour { get; set; }
    /// <summary>The hour on the clock face, so a linear model sees 23:00 next to 00:00.</summary>
    public float HourSin { get; set; }
    public float HourCos { get; set; }
    public float Weekend { get; set; }
    public string Category { get; set; } = "";
    public string Priority { get; set; } = "";
    public string Channel { get; set; } = "";
    public float Step { get; set; }
    public bool Label { get; set; }
    [NoColumn]
    public string UserId { get; set; } = "";

    /// <summary>The categorical columns (one-hot encoded by the pipeline).</summary>
    public static readonly string[] Categorical = [nameof(Platform), nameof(Presence), nameof(Connectivity), nameof(Category), nameof(Priority), nameof(Channel)];

    /// <summary>The numeric columns.</summary>
    public static readonly string[] Numeric = [nameof(Online), nameof(Foreground), nameof(LogSecondsSinceActive), nameof(BatteryLevel),
        nameof(Charging), nameof(LowBattery), nameof(Metered), nameof(LocalHour), nameof(HourSin), nameof(HourCos), nameof(Weekend), nameof(Step)];

    public static ResponseExample From(in ResponseFeatures f, bool label = false, string userId = "")
    {
        var e = new ResponseExample { Label = label, UserId = userId };
        e.Set(f);
        return e;
    }

    /// <summary>Overwrites every feature column from <paramref name="f"/>.</summary>
    public void Set(in ResponseFeatures f)
    {
        Platform = f.Platform;
        Presence = f.Presence;
        Online = f.Online ? 1 : 0;
        Foreground = f.Foreground ? 1 : 0;
        LogSecondsSinceActive = f.SecondsSinceActive < 0 ? -1 : (float)Math.Log(1 + f.SecondsSinceActive);
        BatteryLevel = (float)f.BatteryLevel;
        Charging = f.Charging ? 1 : 0;
        LowBattery = f.LowBattery ? 1 : 0;
        Connectivity = f.Connectivity;
        Metered = f.Metered ? 1 : 0;
        LocalHour = (float)f.LocalHour;
        HourSin = (float)Math.Sin(f.LocalHour / 24 * 2 * Math.PI);
        HourCos = (float)Math.Cos(f.LocalHour / 24 * 2 * Math.PI);
        Weekend = f.Weekday >= 6 ? 1 : 0;
        Category = f.Category;
        Priority = f.Priority;
        Channel = f.Channel;
        Step = f.Step;
    }
}

/// <summary>The model's answer for one row.</summary>
public sealed class ResponsePrediction
{
    /// <summary>The calibrated chance of a response within the step's wait.</summary>
    public float Probability { get; set; }
    public float Score { get; set; }
    public bool PredictedLabel { get; set; }
}
