using MongoDB.Bson;

namespace Notify.Storage.MongoDb.Tests;

public sealed class MongoIndexesTests
{
    [Fact]
    public void All_EveryIndexWithItsOptions_AsCreatedAtStartUp()
    {
        var specs = MongoIndexes.All(TimeSpan.FromHours(24)).ToDictionary(s => s.Name);

        Assert.Equal(15, specs.Count);
        Assert.True(specs["users_app_user"].ToModel().Options.Unique);
        Assert.True(specs["devices_token"].ToModel().Options.Unique);
        Assert.True(specs["idempotency_app_key"].ToModel().Options.Unique);
        Assert.Equal(BsonDocument.Parse("{ appId: 1, key: 1 }"), specs["idempotency_app_key"].Keys);
        var ttl = specs["idempotency_ttl"].ToModel().Options;
        Assert.Equal(TimeSpan.FromHours(24), ttl.ExpireAfter);
        Assert.Equal(BsonDocument.Parse("{ createdAt: 1 }"), specs["idempotency_ttl"].Keys);
        Assert.Equal(BsonDocument.Parse("{ appId: 1, userId: 1, _id: 1 }"), specs["notifications_user"].Keys);
        Assert.Equal(BsonDocument.Parse("{ collapseKey: { $exists: true } }"), specs["notifications_collapse"].Partial);
        Assert.Equal(BsonDocument.Parse("{ hold: { $exists: true } }"), specs["notifications_holds"].Partial);
        Assert.Equal(BsonDocument.Parse("{ dueAt: 1 }"), specs["timers_due"].Keys);
        Assert.True(specs["webhooks_due"].ToModel().Options.Sparse);
        Assert.Equal(BsonDocument.Parse("{ leaseOwner: 1, dueAt: 1 }"), specs["timers_free"].Keys);
        Assert.Equal(BsonDocument.Parse("{ leaseUntil: 1 }"), specs["timers_lease_until"].Keys);
        Assert.True(specs["timers_lease_until"].ToModel().Options.Sparse);
        Assert.Null(specs["timers_due"].ToModel().Options.Unique);
    }

    [Fact]
    public void All_Retention_SetsTheTtl()
    {
        Assert.Equal(TimeSpan.FromHours(48), MongoIndexes.All(TimeSpan.FromHours(48)).Single(s => s.Name == "idempotency_ttl").ExpireAfter);
    }

    [Fact]
    public void ChangeTtl_RetentionChanged_CollModOfTheTtlIndexInSeconds()
    {
        var spec = MongoIndexes.All(TimeSpan.FromHours(48)).Single(s => s.Name == "idempotency_ttl");

        Assert.Equal(BsonDocument.Parse("{ collMod: 'idempotency', index: { name: 'idempotency_ttl', expireAfterSeconds: NumberLong(172800) } }"),
            MongoIndexes.ChangeTtl(spec, spec.ExpireAfter!.Value));
    }
}
