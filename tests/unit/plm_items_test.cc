// Item creation against a real SQLite store in a temporary directory: the answer of a creation
// (built from what was written, not read back) is the item as it is then read, and as its event
// records it; numbers come from the right format; and the item list's searches by name,
// category and phase still answer once the revision indexes they never used are gone.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/clock.h"
#include "core/guid.h"
#include "plm/events.h"
#include "plm/plm.h"
#include "plm/schema.h"
#include "store/store.h"
#include "temp_store.h"
#include "workspace/schema.h"
#include "workspace/users.h"

namespace arenite::plm {
namespace {

constexpr int64_t kStart = 1796290875000;  // 2026-12-03T09:41:15Z

class PlmItemsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.SetMillis(kStart);
    Status opened = store_.Open({workspace::Migrations(), Migrations()});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    users_ = std::make_unique<workspace::Users>(*store_, clock_);
    auto made = users_->CreateWorkspace(
        "Acme", {"Admin@Acme.test", "Ada Admin", workspace::Role::kAdmin, "a long password 1"});
    ASSERT_TRUE(made.ok()) << made.error().message;
    ctx_ = Ctx{made->first.guid, made->second.guid, "user:" + made->second.guid, clock_.Now()};
    plm_ = std::make_unique<Plm>(*store_, clock_);
    ASSERT_TRUE(plm_->EnsureSeeded(ctx_.workspace).ok());
  }
  void TearDown() override {
    plm_.reset();
    users_.reset();
    store_.Close();
  }

  Json Create(const Json& body) {
    auto created = plm_->CreateItem(ctx_, body);
    EXPECT_TRUE(created.ok()) << created.error().message;
    return created.ok() ? *created : Json();
  }
  // The guid of the first entry of a lookup list whose `key` is `value`.
  std::string Find(const Result<Json>& list, const std::string& key, const std::string& value) {
    EXPECT_TRUE(list.ok());
    if (!list.ok()) return "";
    for (const auto& entry : *list) {
      if (entry[key] == value) return entry["guid"];
    }
    ADD_FAILURE() << "no entry with " << key << " = " << value;
    return "";
  }
  // The answer equals the item read back and the after-image of its item.created event.
  void ExpectAnswerIsStored(const Json& answer) {
    auto read = plm_->GetItem(ctx_.workspace, answer["guid"]);
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(answer, *read) << "answer: " << answer.dump() << "\nread:   " << read->dump();
    auto events = ListEvents(*store_, ctx_.workspace, 0, 1000);
    ASSERT_TRUE(events.ok());
    ASSERT_FALSE(events->empty());
    const Event& last = events->back();
    EXPECT_EQ(last.type, kItemCreated);
    EXPECT_EQ(last.object_guid, answer["guid"]);
    EXPECT_TRUE(last.before.is_null());
    EXPECT_EQ(last.after, answer);
  }
  std::vector<std::string> Numbers(const Filters& f) {
    auto list = plm_->ListItems(ctx_.workspace, f);
    EXPECT_TRUE(list.ok());
    std::vector<std::string> out;
    if (list.ok()) {
      for (const auto& item : *list) out.push_back(item["number"]);
    }
    std::sort(out.begin(), out.end());  // items made in the same second list in guid order
    return out;
  }

  AdjustableClock clock_;
  test::TempStore store_;
  std::unique_ptr<workspace::Users> users_;
  std::unique_ptr<Plm> plm_;
  Ctx ctx_;
};

TEST_F(PlmItemsTest, MinimalCreationAnswersTheItemAsStored) {
  Json item = Create({{"name", "Bracket"}});
  EXPECT_EQ(item["number"], "ITM-000001");
  EXPECT_EQ(item["uom"], "each");
  EXPECT_EQ(item["lifecyclePhase"]["name"], "Unreleased");
  EXPECT_EQ(item["creator"]["fullName"], "Ada Admin");
  EXPECT_EQ(item["creationDateTime"], "2026-12-03T09:41:15Z");
  ExpectAnswerIsStored(item);
}

TEST_F(PlmItemsTest, FullCreationAnswersTheItemAsStored) {
  std::string resistor = Find(plm_->ListCategories(ctx_.workspace), "name", "Resistor");
  std::string design = Find(plm_->ListPhases(ctx_.workspace), "name", "In Design");
  Ctx admin = ctx_;
  auto tolerance =
      plm_->CreateAttribute(admin, {{"name", "Tolerance"}, {"fieldType", "SINGLE_LINE_TEXT"}});
  ASSERT_TRUE(tolerance.ok()) << tolerance.error().message;
  auto watts = plm_->CreateAttribute(admin, {{"name", "Watts"}, {"fieldType", "NUMBER"}});
  ASSERT_TRUE(watts.ok()) << watts.error().message;
  Json item = Create({{"name", "Resistor 10k"},
                      {"description", "thick film, 0603"},
                      {"category", {{"guid", resistor}}},
                      {"lifecyclePhase", {{"guid", design}}},
                      {"revisionNumber", "A"},
                      {"uom", "reel"},
                      {"procurementType", "OTS"},
                      {"owner", {{"fullName", "Grace Hopper"}}},
                      {"productionCost", 2},
                      {"prototypeCost", 0.125},
                      {"standardCost", "3.5"},
                      {"targetCost", 1e12},
                      {"targetPrice", -0.1},
                      {"additionalAttributes",
                       {{{"guid", (*tolerance)["guid"]}, {"value", "1%"}},
                        {{"guid", (*watts)["guid"]}, {"value", 0.1}}}}});
  EXPECT_EQ(item["number"], "210-00001");  // the category's format
  EXPECT_EQ(item["category"]["path"], "Parts\\Electrical\\Resistor");
  EXPECT_EQ(item["lifecyclePhase"]["stage"], "DESIGN");
  EXPECT_EQ(item["offTheShelf"], true);
  EXPECT_EQ(item["productionCost"], 2);
  EXPECT_EQ(item["standardCost"], 3.5);
  ASSERT_EQ(item["additionalAttributes"].size(), 2u);
  ExpectAnswerIsStored(item);
}

TEST_F(PlmItemsTest, NumbersComeFromTheChosenFormatAndSkipTakenOnes) {
  EXPECT_EQ(Create({{"name", "Taken"}, {"number", "ITM-000002"}})["number"], "ITM-000002");
  EXPECT_EQ(Create({{"name", "First"}})["number"], "ITM-000001");
  Json third = Create({{"name", "Third"}});
  EXPECT_EQ(third["number"], "ITM-000003");  // ITM-000002 is skipped
  ExpectAnswerIsStored(third);
  std::string doc = Find(plm_->ListNumberFormats(ctx_.workspace), "name", "Document");
  Json spec = Create({{"name", "Spec"}, {"numberFormat", {{"guid", doc}}}});
  EXPECT_EQ(spec["number"], "DOC-00001");
  ExpectAnswerIsStored(spec);
  auto duplicate = plm_->CreateItem(ctx_, {{"name", "Again"}, {"number", "ITM-000002"}});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().status, 409);
  auto bad_format =
      plm_->CreateItem(ctx_, {{"name", "X"}, {"numberFormat", {{"guid", NewGuid()}}}});
  ASSERT_FALSE(bad_format.ok());
  EXPECT_EQ(bad_format.error().status, 400);
}

TEST_F(PlmItemsTest, RefusedCreationsWriteNothing) {
  auto no_name = plm_->CreateItem(ctx_, {{"name", nullptr}});
  ASSERT_FALSE(no_name.ok());
  EXPECT_EQ(no_name.error().status, 400);
  auto structural = plm_->CreateItem(
      ctx_,
      {{"name", "X"},
       {"category", {{"guid", Find(plm_->ListCategories(ctx_.workspace), "name", "Parts")}}}});
  ASSERT_FALSE(structural.ok());
  EXPECT_EQ(structural.error().status, 400);
  auto bad_cost = plm_->CreateItem(ctx_, {{"name", "X"}, {"targetCost", "cheap"}});
  ASSERT_FALSE(bad_cost.ok());
  EXPECT_EQ(bad_cost.error().status, 400);
  auto events = ListEvents(*store_, ctx_.workspace, 0, 1000);
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->empty());
  EXPECT_TRUE(Numbers(Filters{}).empty());
}

TEST_F(PlmItemsTest, ListSearchesAnswerWithoutTheDroppedRevisionIndexes) {
  bool left = true;
  ASSERT_TRUE(store_
                  ->Read([&](store::Tx& tx) -> Status {
                    ARENITE_ASSIGN_OR_RETURN(
                        left, tx.Exists("SELECT 1 FROM sqlite_schema WHERE type = 'index' AND "
                                        "name IN ('item_revisions_name', "
                                        "'item_revisions_category', 'item_revisions_phase')"));
                    return OkStatus();
                  })
                  .ok());
  EXPECT_FALSE(left);

  std::string resistor = Find(plm_->ListCategories(ctx_.workspace), "name", "Resistor");
  std::string proto = Find(plm_->ListPhases(ctx_.workspace), "name", "Prototype");
  Create({{"name", "Resistor 10k"}, {"category", {{"guid", resistor}}}});
  Create({{"name", "Resistor 22k"},
          {"category", {{"guid", resistor}}},
          {"lifecyclePhase", {{"guid", proto}}}});
  Create({{"name", "Bracket"}, {"lifecyclePhase", {{"guid", proto}}}});
  Filters by_name;
  by_name.name = "Resistor*";
  EXPECT_EQ(Numbers(by_name), (std::vector<std::string>{"210-00001", "210-00002"}));
  by_name.name = "Bracket";
  EXPECT_EQ(Numbers(by_name), (std::vector<std::string>{"ITM-000001"}));
  Filters by_category;
  by_category.category = resistor;
  EXPECT_EQ(Numbers(by_category), (std::vector<std::string>{"210-00001", "210-00002"}));
  Filters by_phase;
  by_phase.phase = proto;
  EXPECT_EQ(Numbers(by_phase), (std::vector<std::string>{"210-00002", "ITM-000001"}));
  by_phase.category = resistor;
  EXPECT_EQ(Numbers(by_phase), (std::vector<std::string>{"210-00002"}));
}

// A workspace seeded before change categories existed (migration 109) gets them the first time
// a server uses it, and nothing else of its lookups is made twice.
TEST_F(PlmItemsTest, AWorkspaceSeededBeforeChangeCategoriesGetsThem) {
  auto categories = plm_->ListChangeCategories(ctx_.workspace);
  ASSERT_TRUE(categories.ok());
  ASSERT_EQ(categories->size(), 4u);
  auto item_categories = plm_->ListCategories(ctx_.workspace);
  ASSERT_TRUE(item_categories.ok());
  ASSERT_TRUE(store_
                  ->Write([&](store::Tx& tx) -> Status {
                    auto removed = tx.Exec("DELETE FROM change_categories WHERE workspace_guid = ?",
                                           {ctx_.workspace});
                    return removed.ok() ? OkStatus() : Status(removed.error());
                  })
                  .ok());
  Plm restarted(*store_, clock_);
  ASSERT_TRUE(restarted.EnsureSeeded(ctx_.workspace).ok());
  auto again = restarted.ListChangeCategories(ctx_.workspace);
  ASSERT_TRUE(again.ok());
  std::vector<std::string> paths;
  for (const auto& c : *again) paths.push_back(c["path"]);
  EXPECT_EQ(paths, (std::vector<std::string>{"Change", "Change\\Change Order",
                                             "Change\\Change Order\\Engineering Change Order",
                                             "Change\\Deviation"}));
  auto items_after = restarted.ListCategories(ctx_.workspace);
  ASSERT_TRUE(items_after.ok());
  EXPECT_EQ(items_after->size(), item_categories->size());
  // Seeding again adds nothing.
  Plm third(*store_, clock_);
  ASSERT_TRUE(third.EnsureSeeded(ctx_.workspace).ok());
  EXPECT_EQ(third.ListChangeCategories(ctx_.workspace)->size(), 4u);
}

// Phases stored before migration 110 say UNRELEASED; the migration gives them Arena's
// PRELIMINARY, which new items then find as their default phase.
TEST_F(PlmItemsTest, Migration110RenamesTheUnreleasedStage) {
  std::string sql;
  for (const auto& m : Migrations()) {
    if (m.version == 110) sql = m.sql;
  }
  ASSERT_FALSE(sql.empty());
  auto stages = [&] {
    std::vector<std::string> out;
    EXPECT_TRUE(store_
                    ->Read([&](store::Tx& tx) {
                      return tx.Query("SELECT DISTINCT stage FROM lifecycle_phases ORDER BY stage",
                                      {}, [&](const store::Row& row) {
                                        out.push_back(row.String(0));
                                        return true;
                                      });
                    })
                    .ok());
    return out;
  };
  EXPECT_EQ(stages(), (std::vector<std::string>{"DESIGN", "PRELIMINARY", "PRODUCTION"}));
  auto run = [&](const std::string& script) {
    return store_->Write([&](store::Tx& tx) -> Status {
      auto done = tx.Exec(script, {});
      return done.ok() ? OkStatus() : Status(done.error());
    });
  };
  ASSERT_TRUE(
      run("UPDATE lifecycle_phases SET stage = 'UNRELEASED' WHERE stage = 'PRELIMINARY'").ok());
  EXPECT_EQ(stages(), (std::vector<std::string>{"DESIGN", "PRODUCTION", "UNRELEASED"}));
  ASSERT_TRUE(run(sql).ok());
  EXPECT_EQ(stages(), (std::vector<std::string>{"DESIGN", "PRELIMINARY", "PRODUCTION"}));
  auto item = plm_->CreateItem(ctx_, {{"name", "After the rename"}});
  ASSERT_TRUE(item.ok()) << item.error().message;
  EXPECT_EQ((*item)["lifecyclePhase"]["stage"], "PRELIMINARY");
}

}  // namespace
}  // namespace arenite::plm
