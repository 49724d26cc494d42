using Microsoft.Extensions.Time.Testing;
using Notify.Client.Devices;

namespace Notify.Client.Tests.Devices;

/// <summary>A wait for a notification that never comes says so after <see cref="NotifyDeviceClientOptions.WaitTimeout"/>
/// instead of hanging (the README's snippet, run at night with quiet hours on, waited forever).</summary>
public class WaitTimeoutTests
{
    [Fact]
    public async Task WaitForNotification_NothingArrives_TimeoutExceptionThatSaysWhy()
    {
        var time = new FakeTimeProvider();
        await using var client = new NotifyDeviceClient(new Uri("http://notify.test"), "ndt_token", timeProvider: time);

        var wait = client.WaitForNotificationAsync(n => n.Id == "ntf_1");
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<TimeoutException>(() => wait);
        Assert.Contains("within 00:00:30", error.Message);
        Assert.Contains("quiet hours", error.Message);
    }

    [Fact]
    public async Task WaitForNotification_OwnTimeoutOrCancellation_Respected()
    {
        var time = new FakeTimeProvider();
        await using var client = new NotifyDeviceClient(new Uri("http://notify.test"), "ndt_token", new NotifyDeviceClientOptions { WaitTimeout = TimeSpan.FromSeconds(5) }, time);

        var shortWait = client.WaitForClearAsync("ntf_1");
        var forever = client.WaitForNotificationAsync(null, Timeout.InfiniteTimeSpan);
        time.Advance(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<TimeoutException>(() => shortWait);
        time.Advance(TimeSpan.FromDays(1));
        Assert.False(forever.IsCompleted);

        using var cancel = new CancellationTokenSource();
        var cancelled = client.WaitForNotificationAsync(null, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
    }

    [Fact]
    public void Options_WaitTimeoutZero_Refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new NotifyDeviceClient(new Uri("http://notify.test"), "t", new NotifyDeviceClientOptions { WaitTimeout = TimeSpan.Zero }));
}
