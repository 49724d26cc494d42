using BenchmarkDotNet.Running;
using Notify.Bench.Load;
using Notify.Bench.Push;
using Notify.Bench.Simulation;
using Notify.Bench.Timers;

// Notify.Bench: `load` drives a running Notify server end to end (against a bare Kestrel baseline measured
// in the same run); `push` drives one FCM adapter against the loopback FCM (against raw HTTP POSTs of the same
// bodies, measured in the same run); `timers` fires 1M durable timers from SQLite on the real clock (against a bare
// PriorityQueue + Task.Delay loop); `idle` and `burst` measure the server's memory per device connection and delivery
// over 10,000 connections under a burst; `micro` runs the BenchmarkDotNet micro-benchmarks of the pure decision.
if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(LoadOptions.Usage);
    Console.WriteLine(PushOptions.Usage);
    Console.WriteLine(Notify.Bench.Edge.IdleCommand.Usage);
    Console.WriteLine(Notify.Bench.Edge.BurstCommand.Usage);
    Console.WriteLine("  micro [BenchmarkDotNet args]   e.g. micro --filter '*' --job short");
    Console.WriteLine(SimulateCommand.Usage);
    Console.WriteLine(TimersCommand.Usage);
    return 0;
}

switch (args[0])
{
    case "load":
        if (!LoadOptions.TryParse(args[1..], out var options, out var error))
        {
            Console.Error.WriteLine(error);
            Console.Error.WriteLine(LoadOptions.Usage);
            return 2;
        }
        using (var cancel = new CancellationTokenSource())
        {
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
            return await LoadCommand.RunAsync(options!, args, cancel.Token);
        }
    case "push":
        if (!PushOptions.TryParse(args[1..], out var pushOptions, out var pushError))
        {
            Console.Error.WriteLine(pushError);
            Console.Error.WriteLine(PushOptions.Usage);
            return 2;
        }
        using (var cancel = new CancellationTokenSource())
        {
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
            return await PushCommand.RunAsync(pushOptions!, args, cancel.Token);
        }
    case "idle":
        using (var cancel = new CancellationTokenSource())
        {
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
            return await Notify.Bench.Edge.IdleCommand.RunAsync(args[1..], cancel.Token);
        }
    case "burst":
        using (var cancel = new CancellationTokenSource())
        {
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
            return await Notify.Bench.Edge.BurstCommand.RunAsync(args[1..], cancel.Token);
        }
    case LoopbackHost.ChildCommand:
        return await LoopbackHost.RunChildAsync(args[1..]);
    case "micro":
        var rest = args[1..];
        // Without a filter BenchmarkSwitcher asks interactively; default to every benchmark.
        if (!rest.Any(a => a is "--filter" or "-f" or "--list" or "--help")) rest = [.. rest, "--filter", "*"];
        BenchmarkSwitcher.FromAssembly(typeof(LoadCommand).Assembly).Run(rest);
        return 0;
    case "simulate":
        if (!SimulateCommand.TryParse(args[1..], out var simulate, out var simulateError))
        {
            Console.Error.WriteLine(simulateError);
            Console.Error.WriteLine(SimulateCommand.Usage);
            return 2;
        }
        return await SimulateCommand.RunAsync(simulate);
    case "timers":
        if (!TimersCommand.TryParse(args[1..], out var timers, out var timersError))
        {
            Console.Error.WriteLine(timersError);
            Console.Error.WriteLine(TimersCommand.Usage);
            return 2;
        }
        using (var cancel = new CancellationTokenSource())
        {
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
            return await TimersCommand.RunAsync(timers!, args, cancel.Token);
        }
    default:
        Console.Error.WriteLine($"unknown command '{args[0]}'; use load, push, idle, burst, micro, simulate or timers");
        return 2;
}
