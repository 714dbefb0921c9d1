// Command msgraphbot does with msgraph-sdk-go what examples/ivrbot does with
// graphcomms: create a call, answer one, play a prompt, parse a callback notification.
// It exists to be built and measured (bench/build.sh); it runs only with credentials.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/communications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

func main() {
	tenant, app, secret := os.Getenv("TENANT_ID"), os.Getenv("APP_ID"), os.Getenv("CLIENT_SECRET")
	if app == "" {
		fmt.Println("msgraphbot: set TENANT_ID, APP_ID and CLIENT_SECRET")
		return
	}
	cred, err := azidentity.NewClientSecretCredential(tenant, app, secret, nil)
	if err != nil {
		panic(err)
	}
	client, err := msgraphsdk.NewGraphServiceClientWithCredentials(cred, []string{"https://graph.microsoft.com/.default"})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	callback := "https://bot.example.com/api/calls"

	call := models.NewCall()
	call.SetCallbackUri(&callback)
	target := models.NewInvitationParticipantInfo()
	ids := models.NewIdentitySet()
	user := models.NewIdentity()
	uid := os.Getenv("TARGET_USER_ID")
	user.SetId(&uid)
	ids.SetUser(user)
	target.SetIdentity(ids)
	call.SetTargets([]models.InvitationParticipantInfoable{target})
	call.SetRequestedModalities([]models.Modality{models.AUDIO_MODALITY})
	call.SetMediaConfig(models.NewServiceHostedMediaConfig())
	created, err := client.Communications().Calls().Post(ctx, call, nil)
	if err != nil {
		panic(err)
	}
	id := *created.GetId()

	answer := communications.NewCallsItemAnswerPostRequestBody()
	answer.SetCallbackUri(&callback)
	answer.SetAcceptedModalities([]models.Modality{models.AUDIO_MODALITY})
	answer.SetMediaConfig(models.NewServiceHostedMediaConfig())
	_ = client.Communications().Calls().ByCallId(id).Answer().Post(ctx, answer, nil)

	prompt := models.NewMediaPrompt()
	info := models.NewMediaInfo()
	uri := "https://cdn.example.com/menu.wav"
	info.SetUri(&uri)
	prompt.SetMediaInfo(info)
	play := communications.NewCallsItemPlayPromptPostRequestBody()
	play.SetPrompts([]models.Promptable{prompt})
	if _, err := client.Communications().Calls().ByCallId(id).PlayPrompt().Post(ctx, play, nil); err != nil {
		panic(err)
	}

	// Parse a callback: the SDK has no model for it, so read resourceData as a call.
	body := []byte(`{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/x","resourceData":{"@odata.type":"#microsoft.graph.call","state":"established"}}]}`)
	node, err := jsonserialization.NewJsonParseNode(body)
	if err != nil {
		panic(err)
	}
	value, _ := node.GetChildNode("value")
	items, _ := value.GetCollectionOfObjectValues(models.CreateChangeNotificationFromDiscriminatorValue)
	fmt.Println(len(items))
}
