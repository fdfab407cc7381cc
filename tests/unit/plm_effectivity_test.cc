// Effectivity on date against the real workspace data component and SQLite, with a fake clock:
// an APPROVED PERMANENT_ON_DATE change becomes EFFECTIVE once its planned date has come, by the
// same move a client makes, recorded as the system's; never before, never twice, never after it
// was rejected or re-dated. An EFFECTIVE TEMPORARY change (a deviation) expires the same way.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/clock.h"
#include "plm/effectivity.h"
#include "plm/events.h"
#include "plm/logic.h"
#include "plm/plm.h"
#include "plm/schema.h"
#include "temp_store.h"
#include "workspace/schema.h"

namespace arenite::plm {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kStart = 1796290875;  // 2026-12-03T09:41:15Z

class EffectivityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status opened = store_.Open({workspace::Migrations(), Migrations()});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    clock_.SetMillis(kStart * 1000);
    plm_ = std::make_unique<Plm>(*store_, clock_);
    scheduler_ = std::make_unique<EffectivityScheduler>(*plm_);
    ASSERT_TRUE(plm_->EnsureSeeded(kWorkspace).ok());
  }
  void TearDown() override {
    scheduler_.reset();
    plm_.reset();
    store_.Close();
  }

  Ctx ctx() const { return {kWorkspace, kUser, "user:" + std::string(kUser), clock_.Now()}; }
  void Advance(int64_t seconds) { clock_.Advance(seconds * 1000); }

  // A PERMANENT_ON_DATE change planned `in` seconds from now, holding one new item; submitted.
  std::string SubmittedChange(int64_t in, std::string* item_guid) {
    auto item = plm_->CreateItem(ctx(), {{"name", "Bracket"}});
    EXPECT_TRUE(item.ok());
    *item_guid = (*item)["guid"];
    auto change = plm_->CreateChange(
        ctx(), {{"title", "On date"},
                {"effectivityType", "PERMANENT_ON_DATE"},
                {"effectivityPlannedDateTime", FormatDateTime(clock_.Now() + in)}});
    EXPECT_TRUE(change.ok()) << change.error().message;
    std::string guid = (*change)["guid"];
    EXPECT_TRUE(
        plm_->AddChangeItem(ctx(), guid, {{"newItemRevision", {{"guid", *item_guid}}}}).ok());
    EXPECT_EQ(Move(guid, "SUBMITTED"), kSubmitted);
    return guid;
  }
  // A new item released by a PERMANENT change: a deviation takes released items only (Arena
  // 4002).
  std::string ReleasedItem(const std::string& name) {
    auto item = plm_->CreateItem(ctx(), {{"name", name}});
    EXPECT_TRUE(item.ok());
    std::string guid = (*item)["guid"];
    auto change = plm_->CreateChange(ctx(), {{"title", "Release " + name}});
    EXPECT_TRUE(change.ok());
    std::string eco = (*change)["guid"];
    EXPECT_TRUE(plm_->AddChangeItem(ctx(), eco, {{"newItemRevision", {{"guid", guid}}}}).ok());
    EXPECT_EQ(Move(eco, "SUBMITTED"), kSubmitted);
    EXPECT_EQ(Move(eco, "APPROVED"), kEffective);
    return guid;
  }
  // A TEMPORARY change (a deviation) expiring `in` seconds from now, holding `item` when given;
  // approved, and therefore EFFECTIVE.
  std::string EffectiveDeviation(int64_t in, const std::string& item = "") {
    auto change =
        plm_->CreateChange(ctx(), {{"title", "Deviation"},
                                   {"effectivityType", "TEMPORARY"},
                                   {"expirationDateTime", FormatDateTime(clock_.Now() + in)}});
    EXPECT_TRUE(change.ok()) << change.error().message;
    std::string guid = (*change)["guid"];
    if (!item.empty()) {
      EXPECT_TRUE(plm_->AddChangeItem(ctx(), guid, {{"newItemRevision", {{"guid", item}}}}).ok());
    }
    EXPECT_EQ(Move(guid, "SUBMITTED"), kSubmitted);
    EXPECT_EQ(Move(guid, "APPROVED"), kEffective);
    return guid;
  }
  std::string Move(const std::string& guid, const std::string& status) {
    auto r = plm_->ChangeStatus(ctx(), {{"change", {{"guid", guid}}}, {"status", status}});
    if (!r.ok()) return "error " + std::to_string(r.error().status);
    return (*r)["status"];
  }
  std::string StatusOf(const std::string& guid) {
    return (*plm_->GetChange(kWorkspace, guid))["lifecycleStatus"]["type"];
  }
  std::string RevisionStatus(const std::string& item) {
    return (*plm_->GetItem(kWorkspace, item))["revisionStatus"];
  }
  std::vector<Event> EventsAfter(int64_t seq) {
    return std::move(ListEvents(*store_, kWorkspace, seq, 400)).value();
  }
  int64_t LastSequence() {
    auto all = EventsAfter(0);
    return all.empty() ? 0 : all.back().sequence;
  }

  static constexpr char kWorkspace[] = "WORKSPACE00000000001";
  static constexpr char kUser[] = "USER0000000000000001";
  AdjustableClock clock_;
  test::TempStore store_;
  std::unique_ptr<Plm> plm_;
  std::unique_ptr<EffectivityScheduler> scheduler_;
};

TEST_F(EffectivityTest, BecomesEffectiveByItselfOnceThePlannedDateHasCome) {
  std::string item;
  std::string guid = SubmittedChange(3600, &item);
  EXPECT_EQ(Move(guid, "APPROVED"), kApproved);
  EXPECT_EQ(scheduler_->RunOnce().moved, 0);
  Advance(3599);
  EXPECT_EQ(scheduler_->RunOnce().moved, 0);
  EXPECT_EQ(StatusOf(guid), kApproved);
  EXPECT_EQ(RevisionStatus(item), "WORKING");

  int64_t seq = LastSequence();
  Advance(1);
  EXPECT_EQ(scheduler_->RunOnce().moved, 1);
  EXPECT_EQ(StatusOf(guid), kEffective);
  auto change = *plm_->GetChange(kWorkspace, guid);
  EXPECT_EQ(change["effectiveDateTime"], FormatDateTime(kStart + 3600));
  EXPECT_EQ(RevisionStatus(item), "EFFECTIVE");
  auto events = EventsAfter(seq);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, kItemLifecycleChanged);
  EXPECT_EQ(events[0].object_guid, item);
  EXPECT_EQ(events[1].type, kChangeStatusChanged);
  EXPECT_EQ(events[1].before["lifecycleStatus"]["type"], kApproved);
  EXPECT_EQ(events[1].after["lifecycleStatus"]["type"], kEffective);
  for (const auto& e : events) EXPECT_EQ(e.actor, kSystemActor);

  // Nothing is due any more: no second promotion, no further events.
  EXPECT_EQ(scheduler_->RunOnce().moved, 0);
  EXPECT_EQ(plm_->MoveIfDue({kWorkspace, guid}).value(), false);
  EXPECT_EQ(plm_->MoveIfDue({kWorkspace, guid, 0, /*expires=*/true}).value(), false);
  EXPECT_EQ(EventsAfter(seq).size(), 2u);
}

// A release reserves its items' event numbers in one block: the numbers still run on without a
// gap, in the items' order, with the change's own event and later events after them.
TEST_F(EffectivityTest, AReleaseNumbersItsEventsWithoutAGap) {
  auto change = plm_->CreateChange(ctx(), {{"title", "Three at once"}});
  ASSERT_TRUE(change.ok()) << change.error().message;
  std::string guid = (*change)["guid"];
  std::vector<std::string> items;
  for (int i = 0; i < 3; ++i) {
    auto item = plm_->CreateItem(ctx(), {{"name", "Part " + std::to_string(i)}});
    ASSERT_TRUE(item.ok());
    items.push_back((*item)["guid"]);
    ASSERT_TRUE(
        plm_->AddChangeItem(ctx(), guid, {{"newItemRevision", {{"guid", items.back()}}}}).ok());
    Advance(1);  // the affected items are released in the order they were added
  }
  EXPECT_EQ(Move(guid, "SUBMITTED"), kSubmitted);
  int64_t seq = LastSequence();
  EXPECT_EQ(Move(guid, "APPROVED"), kEffective);
  ASSERT_TRUE(plm_->CreateItem(ctx(), {{"name", "After"}}).ok());
  auto events = EventsAfter(seq);
  ASSERT_EQ(events.size(), 5u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence, seq + 1 + static_cast<int64_t>(i));
  }
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(events[i].object_guid, items[i]);
    EXPECT_EQ(events[i].after["revisionStatus"], "EFFECTIVE");
    EXPECT_EQ(events[i].before["revisionStatus"], "WORKING");
  }
  EXPECT_EQ(events[3].type, kChangeStatusChanged);
  EXPECT_EQ(events[4].type, kItemCreated);
}

// A release's event images are built partly by hand (the after image is the working revision's
// row with the release's changes put in): both must equal the item as read back, before and
// after, for a first release, a second one (with an effective revision to supersede), a new
// revision number and phase, an assembly, an item used in one, and custom attributes.
TEST_F(EffectivityTest, AReleasesImagesAreTheItemAsReadBeforeAndAfter) {
  auto phases = plm_->ListPhases(kWorkspace);
  ASSERT_TRUE(phases.ok());
  std::string production;
  const Json& list = phases->is_array() ? *phases : (*phases)["results"];
  for (const auto& p : list) {
    if (p["stage"] == "PRODUCTION" && p.value("active", true) && production.empty()) {
      production = p["guid"];
    }
  }
  ASSERT_FALSE(production.empty()) << phases->dump();
  auto attr = plm_->CreateAttribute(ctx(), {{"name", "Voltage"}, {"fieldType", "NUMBER"}});
  ASSERT_TRUE(attr.ok()) << attr.error().message;
  auto made = [&](const std::string& name, Json extra = Json::object()) {
    Json body = {{"name", name}};
    body.update(extra);
    auto item = plm_->CreateItem(ctx(), body);
    EXPECT_TRUE(item.ok()) << item.error().message;
    return (*item)["guid"].get<std::string>();
  };
  auto categories = plm_->ListCategories(kWorkspace);
  ASSERT_TRUE(categories.ok());
  const Json& cats = categories->is_array() ? *categories : (*categories)["results"];
  Json category;
  for (const auto& c : cats) {
    if (c.value("assignable", false) && category.is_null()) category = {{"guid", c["guid"]}};
  }
  ASSERT_FALSE(category.is_null()) << cats.dump();
  std::string top =
      made("Top", {{"additionalAttributes", {{{"guid", (*attr)["guid"]}, {"value", 48}}}},
                   {"standardCost", 12.5},
                   {"category", category}});
  std::string child = made("Child");
  std::string plain = made("Plain");
  ASSERT_TRUE(plm_->AddBomLine(ctx(), top, {{"item", {{"guid", child}}}, {"quantity", 2}}).ok());

  auto release = [&](const std::vector<std::string>& items, bool numbered) {
    auto change = plm_->CreateChange(ctx(), {{"title", "Release"}});
    ASSERT_TRUE(change.ok());
    std::string guid = (*change)["guid"];
    for (const auto& item : items) {
      Json body = {{"newItemRevision", {{"guid", item}}}};
      if (numbered) {
        body["newRevisionNumber"] = "B";
        body["newLifecyclePhase"] = {{"guid", production}};
      }
      auto added = plm_->AddChangeItem(ctx(), guid, body);
      ASSERT_TRUE(added.ok()) << added.error().message;
    }
    EXPECT_EQ(Move(guid, "SUBMITTED"), kSubmitted);
    std::map<std::string, Json> shown_before;
    for (const auto& item : items) shown_before[item] = *plm_->GetItem(kWorkspace, item);
    int64_t seq = LastSequence();
    Advance(5);
    EXPECT_EQ(Move(guid, "APPROVED"), kEffective);
    auto events = EventsAfter(seq);
    ASSERT_EQ(events.size(), items.size() + 1);
    std::set<std::string> seen;
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string& item = events[i].object_guid;
      ASSERT_TRUE(shown_before.count(item)) << item;
      seen.insert(item);
      EXPECT_EQ(events[i].before, shown_before[item]) << item;
      EXPECT_EQ(events[i].after, *plm_->GetItem(kWorkspace, item)) << item;
    }
    EXPECT_EQ(seen.size(), items.size());
  };
  // First releases: no effective revision yet; one with a number and phase, one without.
  release({top, child}, true);
  release({plain}, false);
  // Second releases: the effective revisions are superseded.
  release({top, child, plain}, false);
  release({plain}, true);
  auto shown = *plm_->GetItem(kWorkspace, top);
  EXPECT_TRUE(shown["isAssembly"].get<bool>());
  EXPECT_EQ(shown["category"]["guid"], category["guid"]);
  EXPECT_EQ(shown["revisionStatus"], "EFFECTIVE");
  EXPECT_EQ((*plm_->GetItem(kWorkspace, plain))["revisionNumber"], "B");
}

TEST_F(EffectivityTest, ADeviationExpiresByItselfOnItsExpirationDate) {
  std::string item_guid = ReleasedItem("Gasket");
  std::string revision = (*plm_->GetItem(kWorkspace, item_guid))["revisionNumber"];
  std::string guid = EffectiveDeviation(600, item_guid);
  // A deviation releases nothing.
  EXPECT_EQ((*plm_->GetItem(kWorkspace, item_guid))["revisionNumber"], revision);
  EXPECT_EQ(scheduler_->RunOnce().moved, 0);
  Advance(599);
  EXPECT_EQ(scheduler_->RunOnce().moved, 0);
  EXPECT_EQ(StatusOf(guid), kEffective);

  int64_t seq = LastSequence();
  Advance(1);
  EXPECT_EQ(scheduler_->RunOnce().moved, 1);
  EXPECT_EQ(StatusOf(guid), kExpired);
  EXPECT_EQ((*plm_->GetItem(kWorkspace, item_guid))["revisionNumber"], revision);
  auto events = EventsAfter(seq);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, kChangeStatusChanged);
  EXPECT_EQ(events[0].before["lifecycleStatus"]["type"], kEffective);
  EXPECT_EQ(events[0].after["lifecycleStatus"]["type"], kExpired);
  EXPECT_EQ(events[0].actor, kSystemActor);
  EXPECT_EQ(scheduler_->RunOnce().moved, 0);
  EXPECT_EQ(plm_->MoveIfDue({kWorkspace, guid, 0, /*expires=*/true}).value(), false);
  EXPECT_EQ(Move(guid, "COMPLETED"), kCompleted);
  EXPECT_EQ(EventsAfter(seq).size(), 2u);
}

TEST_F(EffectivityTest, ADeviationExpiredByHandIsNotExpiredAgain) {
  std::string guid = EffectiveDeviation(600);
  EXPECT_EQ(Move(guid, "COMPLETED"), "error 409");
  int64_t seq = LastSequence();
  EXPECT_EQ(Move(guid, "EXPIRED"), kExpired);
  EXPECT_EQ(EventsAfter(seq).back().actor, "user:" + std::string(kUser));
  Advance(600);
  EXPECT_EQ(scheduler_->RunOnce().moved, 0);
  EXPECT_EQ(EventsAfter(seq).size(), 1u);
}

TEST_F(EffectivityTest, ADeviationApprovedAfterItsExpirationExpiresAtOnce) {
  auto change =
      plm_->CreateChange(ctx(), {{"title", "Late deviation"},
                                 {"effectivityType", "TEMPORARY"},
                                 {"expirationDateTime", FormatDateTime(clock_.Now() + 60)}});
  ASSERT_TRUE(change.ok());
  std::string guid = (*change)["guid"];
  EXPECT_EQ(Move(guid, "SUBMITTED"), kSubmitted);
  Advance(120);
  int64_t seq = LastSequence();
  EXPECT_EQ(Move(guid, "APPROVED"), kExpired);
  EXPECT_EQ(StatusOf(guid), kExpired);
  auto events = EventsAfter(seq);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].after["lifecycleStatus"]["type"], kEffective);
  EXPECT_EQ(events[0].actor, "user:" + std::string(kUser));
  EXPECT_EQ(events[1].after["lifecycleStatus"]["type"], kExpired);
  EXPECT_EQ(events[1].actor, kSystemActor);
}

TEST_F(EffectivityTest, OnlyDeviationsWithADateExpire) {
  // A permanent change given an expiration date anyway, and a deviation without one.
  auto permanent = plm_->CreateChange(
      ctx(), {{"title", "Permanent"}, {"expirationDateTime", FormatDateTime(clock_.Now() + 60)}});
  ASSERT_TRUE(permanent.ok());
  std::string p = (*permanent)["guid"];
  EXPECT_EQ(Move(p, "SUBMITTED"), kSubmitted);
  EXPECT_EQ(Move(p, "APPROVED"), kEffective);
  auto open_ended =
      plm_->CreateChange(ctx(), {{"title", "Open-ended"}, {"effectivityType", "TEMPORARY"}});
  ASSERT_TRUE(open_ended.ok());
  std::string t = (*open_ended)["guid"];
  EXPECT_EQ(Move(t, "SUBMITTED"), kSubmitted);
  EXPECT_EQ(Move(t, "APPROVED"), kEffective);
  Advance(86400 * 365);
  EXPECT_EQ(scheduler_->RunOnce().moved, 0);
  EXPECT_EQ(StatusOf(p), kEffective);
  EXPECT_EQ(StatusOf(t), kEffective);
  EXPECT_EQ(plm_->MoveIfDue({kWorkspace, p, 0, /*expires=*/true}).value(), false);
  EXPECT_EQ(StatusOf(p), kEffective);
}

TEST_F(EffectivityTest, AnExpiredDeviationsItemsCanGoIntoANewChange) {
  std::string item_guid = ReleasedItem("Seal");
  std::string deviation = EffectiveDeviation(600, item_guid);
  auto eco = plm_->CreateChange(ctx(), {{"title", "Next"}});
  ASSERT_TRUE(eco.ok());
  std::string next = (*eco)["guid"];
  // Like an effective change, an expired one holds none of its items.
  Advance(600);
  EXPECT_EQ(scheduler_->RunOnce().moved, 1);
  auto added = plm_->AddChangeItem(ctx(), next, {{"newItemRevision", {{"guid", item_guid}}}});
  EXPECT_TRUE(added.ok()) << added.error().message;
}

TEST_F(EffectivityTest, DueChangesOfBothKindsComeInDateOrder) {
  // An expiring deviation between two changes planned around it.
  std::string a, b;
  std::string first = SubmittedChange(100, &a);
  std::string last = SubmittedChange(300, &b);
  EXPECT_EQ(Move(first, "APPROVED"), kApproved);
  EXPECT_EQ(Move(last, "APPROVED"), kApproved);
  std::string deviation = EffectiveDeviation(200);
  Advance(400);
  auto page = plm_->DueChanges(2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].guid, first);
  EXPECT_FALSE((*page)[0].expires);
  EXPECT_EQ((*page)[1].guid, deviation);
  EXPECT_TRUE((*page)[1].expires);
  auto rest = plm_->DueChanges(2, page->back());
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].guid, last);
}

TEST_F(EffectivityTest, DueChangesOfTheSameSecondArePagedByGuid) {
  std::string item;
  std::string planned = SubmittedChange(300, &item);
  EXPECT_EQ(Move(planned, "APPROVED"), kApproved);
  std::string deviation = EffectiveDeviation(300);
  Advance(300);
  std::vector<std::string> seen;
  std::optional<DueChange> after;
  for (int page = 0; page < 3; ++page) {
    auto due = plm_->DueChanges(1, after);
    ASSERT_TRUE(due.ok());
    if (due->empty()) break;
    ASSERT_EQ(due->size(), 1u);
    EXPECT_EQ(due->front().at, kStart + 300);
    seen.push_back(due->front().guid);
    after = due->front();
  }
  std::vector<std::string> want = {planned, deviation};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(seen, want);
}

TEST_F(EffectivityTest, ApprovedAfterItsDateIsEffectiveAtOnceByTheSystem) {
  std::string item;
  std::string guid = SubmittedChange(60, &item);
  Advance(120);
  int64_t seq = LastSequence();
  EXPECT_EQ(Move(guid, "APPROVED"), kEffective);
  EXPECT_EQ(StatusOf(guid), kEffective);
  EXPECT_EQ(RevisionStatus(item), "EFFECTIVE");
  auto events = EventsAfter(seq);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, kChangeStatusChanged);
  EXPECT_EQ(events[0].after["lifecycleStatus"]["type"], kApproved);
  EXPECT_EQ(events[0].actor, "user:" + std::string(kUser));
  EXPECT_EQ(events[1].actor, kSystemActor);
  EXPECT_EQ(events[2].type, kChangeStatusChanged);
  EXPECT_EQ(events[2].before["lifecycleStatus"]["type"], kApproved);
  EXPECT_EQ(events[2].after["lifecycleStatus"]["type"], kEffective);
  EXPECT_EQ(events[2].actor, kSystemActor);
}

TEST_F(EffectivityTest, AClientMayMoveItToEffectiveOnlyOnceItsDateHasCome) {
  std::string item;
  std::string guid = SubmittedChange(3600, &item);
  EXPECT_EQ(Move(guid, "APPROVED"), kApproved);
  EXPECT_EQ(Move(guid, "EFFECTIVE"), "error 409");
  EXPECT_EQ(RevisionStatus(item), "WORKING");
  Advance(3600);
  int64_t seq = LastSequence();
  EXPECT_EQ(Move(guid, "EFFECTIVE"), kEffective);
  EXPECT_EQ(EventsAfter(seq).back().actor, "user:" + std::string(kUser));
  // The scheduler finds it already effective.
  EXPECT_EQ(scheduler_->RunOnce().moved, 0);
  EXPECT_EQ(EventsAfter(seq).size(), 2u);
}

TEST_F(EffectivityTest, RejectedOrReDatedChangesAreNotPromoted) {
  std::string item;
  std::string rejected = SubmittedChange(60, &item);
  EXPECT_EQ(Move(rejected, "REJECTED"), kRejected);

  // Re-dated while open: the first date passes, the change stays approved until the new one.
  std::string other;
  std::string redated = SubmittedChange(60, &other);
  EXPECT_EQ(Move(redated, "OPEN_AND_UNLOCKED"), kOpenUnlocked);
  ASSERT_TRUE(plm_->UpdateChange(ctx(), redated,
                                 {{"effectivityPlannedDateTime", FormatDateTime(kStart + 7200)}},
                                 false)
                  .ok());
  EXPECT_EQ(Move(redated, "SUBMITTED"), kSubmitted);
  EXPECT_EQ(Move(redated, "APPROVED"), kApproved);

  Advance(3600);
  EXPECT_EQ(scheduler_->RunOnce().moved, 0);
  EXPECT_EQ(StatusOf(rejected), kRejected);
  EXPECT_EQ(StatusOf(redated), kApproved);
  EXPECT_EQ(RevisionStatus(item), "WORKING");
  Advance(3600);
  EXPECT_EQ(scheduler_->RunOnce().moved, 1);
  EXPECT_EQ(StatusOf(redated), kEffective);
}

TEST_F(EffectivityTest, OnApprovalChangesAreNotTheSchedulersBusiness) {
  auto change = plm_->CreateChange(ctx(), {{"title", "On approval"}});
  ASSERT_TRUE(change.ok());
  std::string guid = (*change)["guid"];
  EXPECT_EQ(Move(guid, "SUBMITTED"), kSubmitted);
  EXPECT_EQ(Move(guid, "APPROVED"), kEffective);
  Advance(86400);
  EXPECT_EQ(scheduler_->RunOnce().moved, 0);
  EXPECT_TRUE(plm_->DueChanges(10).value().empty());
}

// More due changes than one page: one look promotes them all, page after page, and then does
// not ask to look again at once.
TEST_F(EffectivityTest, OneLookPromotesMoreDueChangesThanAPage) {
  std::vector<std::string> changes;
  for (int i = 0; i < 130; ++i) {
    std::string item;
    changes.push_back(SubmittedChange(3600, &item));
    ASSERT_EQ(Move(changes.back(), "APPROVED"), kApproved);
  }
  Advance(3601);
  auto pass = scheduler_->RunOnce();
  EXPECT_EQ(pass.moved, 130);
  EXPECT_FALSE(pass.more);
  for (const auto& guid : changes) EXPECT_EQ(StatusOf(guid), kEffective) << guid;
  EXPECT_EQ(scheduler_->RunOnce().moved, 0);
}

// A date whose year the answer cannot write in four digits is refused, so that the listing and
// the promotion can never disagree about whether it is due.
TEST_F(EffectivityTest, APlannedDateBeforeTheYearZeroIsRefused) {
  auto change =
      plm_->CreateChange(ctx(), {{"title", "Ancient"},
                                 {"effectivityType", "PERMANENT_ON_DATE"},
                                 {"effectivityPlannedDateTime", "0000-01-01T00:00:00+00:01"}});
  ASSERT_FALSE(change.ok());
  EXPECT_EQ(change.error().status, 400);
  auto fine = plm_->CreateChange(ctx(), {{"title", "Year zero"},
                                         {"effectivityType", "PERMANENT_ON_DATE"},
                                         {"effectivityPlannedDateTime", "0000-01-01T00:00:00Z"}});
  EXPECT_TRUE(fine.ok()) << fine.error().message;
}

TEST_F(EffectivityTest, APlannedDateIsRequiredForEffectivityOnDate) {
  auto missing =
      plm_->CreateChange(ctx(), {{"title", "x"}, {"effectivityType", "PERMANENT_ON_DATE"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().status, 400);
  EXPECT_EQ(missing.error().code, kErrMissingField);
  auto bad = plm_->CreateChange(ctx(), {{"title", "x"},
                                        {"effectivityType", "PERMANENT_ON_DATE"},
                                        {"effectivityPlannedDateTime", "tomorrow"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().status, 400);

  auto change = plm_->CreateChange(ctx(), {{"title", "x"}});
  ASSERT_TRUE(change.ok());
  std::string guid = (*change)["guid"];
  auto switched =
      plm_->UpdateChange(ctx(), guid, {{"effectivityType", "PERMANENT_ON_DATE"}}, false);
  ASSERT_FALSE(switched.ok());
  EXPECT_EQ(switched.error().code, kErrMissingField);
  ASSERT_TRUE(plm_->UpdateChange(ctx(), guid,
                                 {{"effectivityType", "PERMANENT_ON_DATE"},
                                  {"effectivityPlannedDateTime", FormatDateTime(kStart + 60)}},
                                 false)
                  .ok());
  auto cleared = plm_->UpdateChange(ctx(), guid, {{"effectivityPlannedDateTime", nullptr}}, true);
  ASSERT_FALSE(cleared.ok());
  EXPECT_EQ(cleared.error().code, kErrMissingField);
  // Back to PERMANENT_ON_APPROVAL: the date no longer matters and nothing becomes due.
  ASSERT_TRUE(
      plm_->UpdateChange(ctx(), guid, {{"effectivityType", "PERMANENT_ON_APPROVAL"}}, false).ok());
  Advance(120);
  EXPECT_TRUE(plm_->DueChanges(10).value().empty());
}

}  // namespace
}  // namespace arenite::plm
