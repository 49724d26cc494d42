using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Notify.Server.Realtime.Grip;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Realtime.Grip;

public class GripPublisherTests
{
    [Fact]
    public async Task PublishAsync_ConcurrentWhileAPostIsInFlight_GoInOneNextPost()
    {
        await using var control = await FakePushpinControl.StartAsync(gated: true);
        await using var publisher = new GripPublisher(new HttpClient(),
            new GripOptions { ControlUri = control.BaseAddress, Key = GripSignatureTests.Key, MinPublishInterval = TimeSpan.Zero }, NullLogger<GripPublisher>.Instance);

        var first = publisher.PublishAsync(new GripItem("device:d0", "{}"u8.ToArray(), null));
        await control.FirstPostArrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var rest = Enumerable.Range(1, 50).Select(i => publisher.PublishAsync(new GripItem($"device:d{i}", "{}"u8.ToArray(), null))).ToList();
        control.Gate.SetResult();

        Assert.True(await first.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.All(await Task.WhenAll(rest).WaitAsync(TimeSpan.FromSeconds(20)), Assert.True);
        Assert.Equal([1, 50], control.PostSizes.ToArray());
    }

    [Fact]
    public async Task PublishAsync_PushpinUnreachable_CompletesFalse()
    {
        var closedPort = new Uri("http://127.0.0.1:1/");
        await using var publisher = new GripPublisher(new HttpClient(), new GripOptions { ControlUri = closedPort, Key = GripSignatureTests.Key },
            NullLogger<GripPublisher>.Instance);

        Assert.False(await publisher.PublishAsync(new GripItem("device:d1", "{}"u8.ToArray(), null)).WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task PublishAsync_SoonAfterAPost_WaitsForTheIntervalAndGoesInOneBatch()
    {
        await using var control = await FakePushpinControl.StartAsync();
        var pacing = new FakeTimeProvider();
        await using var publisher = new GripPublisher(new HttpClient(),
            new GripOptions { ControlUri = control.BaseAddress, Key = GripSignatureTests.Key, MinPublishInterval = TimeSpan.FromMilliseconds(50) },
            NullLogger<GripPublisher>.Instance, pacing);

        // After a quiet spell a message goes at once, with no clock movement.
        Assert.True(await publisher.PublishAsync(new GripItem("device:d0", "{}"u8.ToArray(), null)).WaitAsync(TimeSpan.FromSeconds(20)));
        var rest = Enumerable.Range(1, 30).Select(i => publisher.PublishAsync(new GripItem($"device:d{i}", "{}"u8.ToArray(), null))).ToList();
        // The next POST waits until 50 ms (of the pacing clock) after the first began: none of the 30 can have gone.
        Assert.DoesNotContain(rest, t => t.IsCompleted);
        pacing.Advance(TimeSpan.FromMilliseconds(49));
        Assert.Single(control.PostSizes);
        // The loop may register its delay before or after this point: move the clock on in 1 ms steps until they went.
        await Waits.UntilAsync(() =>
        {
            pacing.Advance(TimeSpan.FromMilliseconds(1));
            return rest.All(t => t.IsCompleted);
        }, "the 30 to go in the next POST");

        Assert.All(await Task.WhenAll(rest), Assert.True);
        Assert.Equal([1, 30], control.PostSizes.ToArray());
    }
}
